// The copy-paste set-ups on the Connect page, filled with this server's URL and the trainer's key.
// Pure, so the page and its tests build the same text.

export interface ConnectContext {
  /** The URL trainers reach this server at. */
  url: string;
  /** The API key to send, a placeholder until one is made, or null where none is needed (local mode). */
  key: string | null;
  /** Where this server's checkout keeps the Python client (a hint for PYTHONPATH). */
  clientPath: string;
  experiment: string;
}

export const KEY_PLACEHOLDER = "<API key>";

export interface Snippet {
  id: string;
  label: string;
  language: "bash" | "python";
  text: string;
}

/** MLflow's own variables: a token (sent as Bearer), or a user name and password (sent as Basic). */
export function mlflowEnv(c: ConnectContext): Snippet[] {
  const token: Snippet = {
    id: "mlflow-env-token", label: "Token", language: "bash",
    text: lines(`export MLFLOW_TRACKING_URI=${c.url}`, c.key !== null && `export MLFLOW_TRACKING_TOKEN=${c.key}`),
  };
  if (c.key === null) return [token];
  return [token, {
    id: "mlflow-env-basic", label: "Or as a user name and password (for tools that only take those)", language: "bash",
    text: lines(
      `export MLFLOW_TRACKING_URI=${c.url}`,
      "export MLFLOW_TRACKING_USERNAME=trainer   # any name",
      `export MLFLOW_TRACKING_PASSWORD=${c.key}`,
    ),
  }];
}

export function huggingFace(c: ConnectContext): Snippet[] {
  return [
    {
      id: "hf-env", label: "Environment", language: "bash",
      text: lines(
        `export MLFLOW_TRACKING_URI=${c.url}`,
        c.key !== null && `export MLFLOW_TRACKING_TOKEN=${c.key}`,
        `export MLFLOW_EXPERIMENT_NAME=${c.experiment}`,
        "export MLFLOW_FLATTEN_PARAMS=1   # nested config values as separate params",
      ),
    },
    {
      id: "hf-code", label: "Training script", language: "python",
      text: lines(
        "from transformers import Trainer, TrainingArguments",
        "",
        "args = TrainingArguments(",
        '    output_dir="out",',
        '    report_to="mlflow",',
        '    run_name="gpt2-small",',
        "    logging_steps=10,",
        ")",
        "trainer = Trainer(model=model, args=args, train_dataset=train_dataset)",
        "trainer.train()",
      ),
    },
  ];
}

export function lightning(c: ConnectContext): Snippet[] {
  const code: Snippet = {
    id: "lightning-code", label: "Training script", language: "python",
    text: lines(
      "from lightning.pytorch import Trainer",
      "from lightning.pytorch.loggers import MLFlowLogger",
      "",
      "logger = MLFlowLogger(",
      `    tracking_uri="${c.url}",`,
      `    experiment_name="${c.experiment}",`,
      '    run_name="run-1",',
      ")",
      "trainer = Trainer(logger=logger, log_every_n_steps=10)",
      "trainer.fit(model, datamodule=data)",
    ),
  };
  if (c.key === null) return [code];
  return [{ id: "lightning-env", label: "Environment (the logger reads the token from it)", language: "bash", text: `export MLFLOW_TRACKING_TOKEN=${c.key}` }, code];
}

export function nanoGpt(c: ConnectContext): Snippet[] {
  return [
    {
      id: "nanogpt-env", label: "Environment", language: "bash",
      text: lines(
        `export PRETRAIN_URL=${c.url}`,
        c.key !== null && `export PRETRAIN_KEY=${c.key}`,
        `export PYTHONPATH=${c.clientPath}:$PYTHONPATH`,
      ),
    },
    {
      id: "nanogpt-code", label: "In train.py", language: "python",
      text: lines(
        "import pretrain_client",
        "",
        "# after `config` is built, on the master process only",
        `run = pretrain_client.init(project="${c.experiment}", config=config)`,
        "",
        "# in the loop, where train.py prints its log line",
        'run.log({"loss": lossf, "lr": lr}, step=iter_num)',
        "",
        "# after estimate_loss()",
        'run.log({"train/loss": losses["train"], "val/loss": losses["val"]}, step=iter_num)',
        "",
        "# after the loop",
        "run.finish()",
      ),
    },
  ];
}

function lines(...parts: (string | false)[]): string {
  return parts.filter((p): p is string => p !== false).join("\n");
}
