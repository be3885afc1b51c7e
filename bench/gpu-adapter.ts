// Prints what Dawn sees on this machine as one JSON line: the adapter it would train on (GPU or
// software) with its limits, or why there is none. Run by bench/gpu-check.sh before the benchmark.
import { explainNoAdapter, firstLine, vulkanFacts } from "../trainer/backend/webgpu";

const vulkan = vulkanFacts();
const report: Record<string, unknown> = { vulkan };
try {
  const { create } = await import("webgpu");
  const adapter = await create([]).requestAdapter({ powerPreference: "high-performance" });
  if (adapter) {
    const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info;
    const { maxBufferSize, maxStorageBufferBindingSize, maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupStorageSize } = adapter.limits;
    report.adapter = { vendor, architecture, device, description, isFallbackAdapter, features: [...adapter.features].sort() };
    report.limits = { maxBufferSize, maxStorageBufferBindingSize, maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupStorageSize };
  } else {
    report.noAdapter = explainNoAdapter(vulkan);
  }
} catch (e) {
  report.error = `the webgpu package failed to load (${firstLine(e)})`;
}
console.log(JSON.stringify(report));
