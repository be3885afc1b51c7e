import { invalid, missing, MlflowError } from "../../../lib/mlflow/errors";
import type { Db } from "../../db/db";

export type ExperimentRow = NonNullable<Awaited<ReturnType<Db["experiment"]["findUnique"]>>>;
export type ViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

/** MLflow's default experiment, which every server has and which runs without one land in. */
export const DEFAULT_EXPERIMENT = { id: 0, name: "Default" };

export const lifecycleWhere = (view: ViewType = "ACTIVE_ONLY") =>
  view === "ALL" ? {} : { lifecycle: view === "ACTIVE_ONLY" ? "active" : "deleted" };

/** MLflow experiments: named groups of outside runs. */
export class ExperimentService {
  private defaultReady: Promise<unknown> | null = null;

  constructor(private db: Db) {}

  /** The Default experiment, made on first use (MLflow's server has it from the start). */
  private ensureDefault() {
    this.defaultReady ??= this.db.experiment
      .upsert({ where: { id: DEFAULT_EXPERIMENT.id }, create: { ...DEFAULT_EXPERIMENT, artifactLocation: artifactLocation(0) }, update: {} })
      .catch((e) => {
        this.defaultReady = null;
        // Another instance made it at the same moment.
        if (!/unique/i.test(String(e))) throw e;
      });
    return this.defaultReady;
  }

  async create(name: string, tags: Record<string, string>, location?: string): Promise<ExperimentRow> {
    await this.ensureDefault();
    const trimmed = name.trim();
    if (!trimmed) throw invalid("Invalid experiment name: ''");
    if (await this.db.experiment.findUnique({ where: { name: trimmed } }))
      throw new MlflowError("RESOURCE_ALREADY_EXISTS", `Experiment(name=${trimmed}) already exists.`);
    for (let attempt = 0; ; attempt++) {
      const last = await this.db.experiment.aggregate({ _max: { id: true } });
      const id = (last._max.id ?? 0) + 1;
      try {
        return await this.db.experiment.create({ data: { id, name: trimmed, tags: JSON.stringify(tags), artifactLocation: location || artifactLocation(id) } });
      } catch (e) {
        if (!/unique/i.test(String(e)) || attempt >= 5) throw e;
        if (await this.db.experiment.findUnique({ where: { name: trimmed } }))
          throw new MlflowError("RESOURCE_ALREADY_EXISTS", `Experiment(name=${trimmed}) already exists.`);
      }
    }
  }

  async get(idText: string): Promise<ExperimentRow> {
    await this.ensureDefault();
    const id = parseId(idText);
    const row = await this.db.experiment.findUnique({ where: { id } });
    if (!row) throw missing(`No Experiment with id=${idText} exists`);
    return row;
  }

  async getByName(name: string): Promise<ExperimentRow> {
    await this.ensureDefault();
    const row = await this.db.experiment.findUnique({ where: { name: name.trim() } });
    if (!row) throw missing(`Could not find experiment with name '${name}'`);
    return row;
  }

  /** Active experiments only may take new runs, as MLflow's server has it. */
  async active(idText: string): Promise<ExperimentRow> {
    const row = await this.get(idText);
    if (row.lifecycle !== "active") throw new MlflowError("INVALID_STATE", `The experiment ${idText} must be in the 'active' state. Current state is ${row.lifecycle}.`);
    return row;
  }

  async list(view: ViewType): Promise<ExperimentRow[]> {
    await this.ensureDefault();
    return this.db.experiment.findMany({ where: lifecycleWhere(view), orderBy: { id: "asc" } });
  }

  async rename(idText: string, newName: string) {
    const row = await this.get(idText);
    const taken = await this.db.experiment.findUnique({ where: { name: newName.trim() } });
    if (taken && taken.id !== row.id) throw new MlflowError("RESOURCE_ALREADY_EXISTS", `Experiment(name=${newName}) already exists.`);
    await this.db.experiment.update({ where: { id: row.id }, data: { name: newName.trim() } });
  }

  /** Deleting an experiment marks it and its runs deleted; restoring brings back both. */
  async setLifecycle(idText: string, lifecycle: "active" | "deleted") {
    const row = await this.get(idText);
    if (row.id === DEFAULT_EXPERIMENT.id && lifecycle === "deleted") throw invalid("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
    await this.db.$transaction([
      this.db.experiment.update({ where: { id: row.id }, data: { lifecycle } }),
      this.db.run.updateMany({ where: { experimentId: row.id }, data: { lifecycle } }),
    ]);
  }

  async setTag(idText: string, key: string, value: string) {
    const row = await this.get(idText);
    const tags = { ...(JSON.parse(row.tags) as Record<string, string>), [key]: value };
    await this.db.experiment.update({ where: { id: row.id }, data: { tags: JSON.stringify(tags) } });
  }
}

export const artifactLocation = (experimentId: number) => `mlflow-artifacts:/${experimentId}`;

function parseId(text: string): number {
  const id = Number(text);
  if (!/^\d{1,9}$/.test(text) || !Number.isSafeInteger(id)) throw invalid(`Invalid experiment ID: '${text}'`);
  return id;
}
