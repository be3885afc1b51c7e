import { RunForm } from "../../components/run-form";

export const dynamic = "force-dynamic";

export default function NewRunPage() {
  const stamp = new Date().toISOString().slice(5, 16).replace("T", "-").replace(":", "");
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">New run</h1>
      <RunForm defaultName={`gpt-${stamp}`} />
    </div>
  );
}
