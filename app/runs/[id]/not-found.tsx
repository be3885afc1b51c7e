import { NotFoundPanel } from "../../components/shell/not-found-panel";

export default function RunNotFound() {
  return <NotFoundPanel title="No such run" text="No run has this id. It may have been deleted, or the link was cut short." />;
}
