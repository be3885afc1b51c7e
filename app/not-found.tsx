import type { Metadata } from "next";
import { NotFoundPanel } from "./components/not-found-panel";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return <NotFoundPanel title="Page not found" text="Nothing lives at this address. The link may be mistyped, or what it pointed to was deleted." />;
}
