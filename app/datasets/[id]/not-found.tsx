import { NotFoundPanel } from "../../components/shell/not-found-panel";

export default function DatasetNotFound() {
  return <NotFoundPanel title="No such dataset" text="No dataset has this id. It may have been deleted, or the link was cut short." />;
}
