// The webgpu backend in Node: @tensorflow/tfjs-backend-webgpu on Dawn from the `webgpu` package,
// whose native binary ships inside the npm package, so it installs offline. On Linux Dawn reaches a
// GPU only through Vulkan; when it finds no adapter, explainNoAdapter says why in plain words.
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";

type Dawn = { create(flags: string[]): GPU; globals: object };
export type WebgpuStart = { ok: true; adapter: string; software: boolean } | { ok: false; reason: string };

let started: { adapter: string; software: boolean } | null = null;

/**
 * Finds a GPU adapter, opens a device on it and makes "webgpu" the tfjs backend. A software
 * (fallback) adapter such as SwiftShader is refused unless `allowSoftware`: it is no GPU and
 * slower than wasm. `probing` (auto) skips Dawn on Linux when no Vulkan loader is installed: Dawn
 * would find nothing and print its own warning on stderr at every start. `load` is for tests.
 */
export async function startWebgpu(opts: { allowSoftware: boolean; probing?: boolean; load?: () => Promise<Dawn> }): Promise<WebgpuStart> {
  if (started && (opts.allowSoftware || !started.software)) {
    await tf.setBackend("webgpu");
    return { ok: true, ...started };
  }
  if (opts.probing && process.platform === "linux") {
    const facts = vulkanFacts();
    if (!facts.loader) return { ok: false, reason: `no GPU adapter: ${explainNoAdapter(facts)}` };
  }
  let dawn: Dawn;
  try {
    dawn = await (opts.load ?? (() => import("webgpu")))();
  } catch (e) {
    return { ok: false, reason: `the webgpu package failed to load (${firstLine(e)})` };
  }
  try {
    const gpu = dawn.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) return { ok: false, reason: `no GPU adapter: ${explainNoAdapter(vulkanFacts())}` };
    const software = adapter.info.isFallbackAdapter;
    const name = describeAdapter(adapter.info);
    if (software && !opts.allowSoftware) return { ok: false, reason: `only a software adapter (${name}), slower than wasm` };
    // tfjs sizes its buffers and dispatches by the device's limits, and WebGPU's defaults (such as
    // 128 MiB per storage binding) are far below what a GPU has, so ask for the adapter's own.
    const limits = ["maxStorageBufferBindingSize", "maxBufferSize", "maxComputeWorkgroupStorageSize",
      "maxComputeWorkgroupsPerDimension", "maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX"] as const;
    const device = await adapter.requestDevice({
      requiredLimits: Object.fromEntries(limits.map((k) => [k, adapter.limits[k]])),
      requiredFeatures: adapter.features.has("timestamp-query") ? ["timestamp-query"] : [],
    });
    exposeLikeABrowser(gpu, dawn.globals);
    // A CommonJS package: an esbuild bundle (bench/prepare-device.sh) exposes it only as `default`.
    const pkg = await import("@tensorflow/tfjs-backend-webgpu");
    const { WebGPUBackend } = pkg.default ?? pkg;
    const backend = new (nodeBackend(WebGPUBackend))(device, adapter.info);
    // Importing the package after navigator.gpu exists registers its own factory, which would ask
    // for a second adapter and hide why it failed; ours reuses the device opened above.
    if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
    tf.registerBackend("webgpu", () => backend);
    if (!(await tf.setBackend("webgpu"))) return { ok: false, reason: `tfjs did not initialise webgpu on ${name}` };
    started = { adapter: name, software };
    return { ok: true, ...started };
  } catch (e) {
    return { ok: false, reason: `starting it failed (${firstLine(e)})` };
  }
}

function describeAdapter(info: GPUAdapterInfo): string {
  return info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(" ") || "unnamed adapter";
}

/** tfjs-backend-webgpu reads the GPU from navigator.gpu and the usage flags from globals, as in a browser. */
function exposeLikeABrowser(gpu: GPU, globals: object): void {
  for (const [key, value] of Object.entries(globals))
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  const g = globalThis as { navigator?: object };
  // Node 21+ has a navigator of its own; Node 20 has none.
  if (!g.navigator) Object.defineProperty(globalThis, "navigator", { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
}

/**
 * The stock synchronous read (dataSync, arraySync) copies through an OffscreenCanvas, which Node
 * lacks; this turns its ReferenceError into advice.
 */
function nodeBackend<T extends new (...args: any[]) => tf.KernelBackend>(Base: T) {
  return class extends Base {
    override readSync(dataId: object) {
      try {
        return super.readSync(dataId);
      } catch (e) {
        throw new Error(`webgpu in Node cannot read a tensor synchronously (dataSync/arraySync); use await tensor.data() (${firstLine(e)})`);
      }
    }
  };
}

export interface VulkanFacts {
  /** libvulkan.so.1 is on the library path. */
  loader: boolean;
  /** ICD manifests (Vulkan drivers) by file name. */
  drivers: string[];
  /** A GPU device node exists: /dev/dri (Mesa) or /dev/nvidia0… */
  gpuDevice: boolean;
  nvidia: boolean;
}

const SOFTWARE_DRIVER = /lvp|llvmpipe|swiftshader/i;
const ICD_DIRS = ["/etc/vulkan/icd.d", "/usr/share/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"];
const NVIDIA_HINT = " (NVIDIA's Vulkan driver is nvidia_icd.json with libGLX_nvidia.so.0, and a container needs graphics in NVIDIA_DRIVER_CAPABILITIES)";

/** Why Dawn found no adapter, from what is installed; no semicolons, as those separate backends in the summary. */
export function explainNoAdapter(f: VulkanFacts): string {
  const hint = f.nvidia ? NVIDIA_HINT : "";
  if (!f.loader) return `the Vulkan loader libvulkan.so.1 is not installed${hint}`;
  if (f.drivers.length === 0) return `Vulkan has no driver (no ICD manifest in ${ICD_DIRS.slice(0, 2).join(" or ")})${hint}`;
  const list = f.drivers.map((d) => (SOFTWARE_DRIVER.test(d) ? `${d} (software)` : d)).join(", ");
  if (!f.gpuDevice) return `no GPU device (/dev/dri or /dev/nvidia*) for the Vulkan drivers here: ${list}`;
  if (f.drivers.every((d) => SOFTWARE_DRIVER.test(d))) return `software Vulkan only (${list})`;
  return `Dawn accepted none of the Vulkan drivers (${list}), see its warnings on stderr`;
}

export function vulkanFacts(env: Record<string, string | undefined> = process.env): VulkanFacts {
  const triplet = `${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu`;
  const libDirs = [
    ...(env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    ...ldSoConfDirs(),
    `/lib/${triplet}`, `/usr/lib/${triplet}`, "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib",
  ];
  const listed = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  const drivers = listed
    ? listed.split(":").filter((f) => f && fs.existsSync(f)).map((f) => path.basename(f))
    : ICD_DIRS.flatMap((d) => readDir(d).filter((f) => f.endsWith(".json")));
  const dev = readDir("/dev");
  const nvidia = dev.some((n) => /^nvidia\d+$/.test(n));
  return { loader: libDirs.some((d) => fs.existsSync(path.join(d, "libvulkan.so.1"))), drivers, gpuDevice: nvidia || dev.includes("dri"), nvidia };
}

function ldSoConfDirs(): string[] {
  return readDir("/etc/ld.so.conf.d").flatMap((f) => {
    try {
      return fs.readFileSync(path.join("/etc/ld.so.conf.d", f), "utf8").split("\n").map((l) => l.trim()).filter((l) => l.startsWith("/"));
    } catch {
      return []; // an unreadable config only narrows the search; the message may then blame the loader
    }
  });
}

function readDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return []; // a missing directory means nothing of that kind is installed
  }
}

/** An error's first line, short enough for a one-line reason. */
export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : typeof e === "object" && e && "message" in e ? String(e.message) : String(e);
  return msg.split("\n")[0].slice(0, 200);
}
