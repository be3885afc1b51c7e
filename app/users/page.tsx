import type { Metadata } from "next";
import { UsersAdmin } from "../components/auth/users-admin";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Users" };

export default function UsersPage() {
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">Users</h1>
      <UsersAdmin />
    </div>
  );
}
