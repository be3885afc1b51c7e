import assert from "node:assert/strict";
import { test } from "node:test";
import { huggingFace, KEY_PLACEHOLDER, lightning, mlflowEnv, nanoGpt, type ConnectContext } from "../../app/components/connect/connect-snippets";

const all = (c: ConnectContext) => [...mlflowEnv(c), ...huggingFace(c), ...lightning(c), ...nanoGpt(c)];
const base = { url: "https://dash.example:3000", clientPath: "/srv/repo/clients/python", experiment: "gpt-small" };

test("with a key, every set-up carries the URL and the key where its tool reads them", () => {
  const s = Object.fromEntries(all({ ...base, key: "pk_abc" }).map((x) => [x.id, x.text]));
  assert.match(s["mlflow-env-token"], /^export MLFLOW_TRACKING_URI=https:\/\/dash\.example:3000\nexport MLFLOW_TRACKING_TOKEN=pk_abc$/);
  assert.match(s["mlflow-env-basic"], /MLFLOW_TRACKING_USERNAME=\S+[\s\S]*MLFLOW_TRACKING_PASSWORD=pk_abc/);
  assert.match(s["hf-env"], /MLFLOW_TRACKING_TOKEN=pk_abc[\s\S]*MLFLOW_EXPERIMENT_NAME=gpt-small/);
  assert.match(s["hf-code"], /report_to="mlflow"/);
  assert.equal(s["lightning-env"], "export MLFLOW_TRACKING_TOKEN=pk_abc");
  assert.match(s["lightning-code"], /MLFlowLogger\(\n {4}tracking_uri="https:\/\/dash\.example:3000",\n {4}experiment_name="gpt-small",/);
  assert.match(s["nanogpt-env"], /PRETRAIN_URL=https:\/\/dash\.example:3000\nexport PRETRAIN_KEY=pk_abc\nexport PYTHONPATH=\/srv\/repo\/clients\/python:\$PYTHONPATH/);
  assert.match(s["nanogpt-code"], /pretrain_client\.init\(project="gpt-small", config=config\)[\s\S]*run\.log\(\{"loss": lossf, "lr": lr\}, step=iter_num\)[\s\S]*run\.finish\(\)/);
});

test("without a key (local mode) no auth line is left, and the placeholder stands in until a key is made", () => {
  for (const s of all({ ...base, key: null })) assert.doesNotMatch(s.text, /TOKEN|PASSWORD|USERNAME|PRETRAIN_KEY|<API key>/, s.id);
  assert.equal(all({ ...base, key: null }).some((s) => s.id === "lightning-env" || s.id === "mlflow-env-basic"), false);
  const waiting = all({ ...base, key: KEY_PLACEHOLDER });
  assert.ok(waiting.filter((s) => s.text.includes(KEY_PLACEHOLDER)).length >= 5);
});
