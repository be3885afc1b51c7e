import type { Metadata } from "next";
import { NotFoundPanel } from "./components/shell/not-found-panel";

// The root segment is the layout's own, so its title template does not apply here.
export const metadata: Metadata = { title: { absolute: "Page not found · Pretrain" } };

export default function NotFound() {
  return <NotFoundPanel title="Page not found" text="Nothing lives at this address. The link may be mistyped, or what it pointed to was deleted." />;
}
