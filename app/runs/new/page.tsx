import { RunForm } from "../../components/run-form";

export default function NewRunPage() {
  return (
    <div className="space-y-4">
      <h1 className="text-xl font-semibold text-slate-100">New run</h1>
      <RunForm />
    </div>
  );
}
