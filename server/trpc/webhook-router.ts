import { z } from "zod";
import { SEVERITIES } from "../../lib/anomaly/types";
import { WEBHOOK_FORMATS, webhookUrlProblem } from "../services/alerts/webhooks";
import { globalWebhookNeedsAdmin, procedure, router } from "./init";

const RunId = z.string().min(1).max(64);
const WebhookId = z.number().int().positive();
const Url = z.string().trim().min(1, "Give the webhook's URL").max(2048).superRefine((url, ctx) => {
  const problem = webhookUrlProblem(url);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** Mounted as `webhook`: where alerts are POSTed, and what happened to each delivery. */
export const webhookRouter = router({
  list: procedure
    .input(z.object({ runId: RunId.nullish() }).optional())
    .query(({ ctx, input }) => ctx.services.webhooks.list(input?.runId ?? null)),
  create: procedure
    .input(z.object({ runId: RunId.nullable(), url: Url, format: z.enum(WEBHOOK_FORMATS), minSeverity: z.enum(SEVERITIES) }))
    .use(globalWebhookNeedsAdmin)
    .mutation(({ ctx, input }) => ctx.services.webhooks.create(input)),
  update: procedure
    .input(z.object({ id: WebhookId, enabled: z.boolean().optional(), format: z.enum(WEBHOOK_FORMATS).optional(), minSeverity: z.enum(SEVERITIES).optional() }))
    .use(globalWebhookNeedsAdmin)
    .mutation(({ ctx, input: { id, ...data } }) => ctx.services.webhooks.update(id, data)),
  remove: procedure.input(z.object({ id: WebhookId })).use(globalWebhookNeedsAdmin).mutation(({ ctx, input }) => ctx.services.webhooks.remove(input.id)),
  test: procedure.input(z.object({ id: WebhookId })).use(globalWebhookNeedsAdmin).mutation(({ ctx, input }) => ctx.services.webhooks.test(input.id)),
  deliveries: procedure
    .input(z.object({ webhookId: WebhookId.optional(), limit: z.number().int().min(1).max(500).default(50) }).optional())
    .query(({ ctx, input }) => ctx.services.webhooks.deliveries(input?.webhookId, input?.limit ?? 50)),
});
