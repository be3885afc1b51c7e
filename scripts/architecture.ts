// Reads the project's import graph: cycles, layer breaches and the largest files.
// `npm run architecture` prints them; tests/unit/architecture.test.ts holds the rules.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export const SOURCE_ROOTS = ["app", "server", "trainer", "worker", "formats", "host", "lib", "scripts", "bench", "clients"];
const EXTENSIONS = [".ts", ".tsx", ".mts"];

export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === "node_modules" || name.startsWith(".")) continue;
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (EXTENSIONS.some((e) => name.endsWith(e)) && !name.endsWith(".d.ts")) out.push(full);
    }
  };
  for (const top of SOURCE_ROOTS) {
    const dir = path.join(root, top);
    try {
      if (statSync(dir).isDirectory()) walk(dir);
    } catch {
      // a root that does not exist yet holds nothing
    }
  }
  return out.sort();
}

function resolveImport(from: string, spec: string, root: string): string | null {
  let base: string;
  if (spec.startsWith("@/")) base = path.join(root, spec.slice(2));
  else if (spec.startsWith(".")) base = path.resolve(path.dirname(from), spec);
  else return null;
  const candidates = [base, ...EXTENSIONS.map((e) => base.replace(/\.(js|ts|tsx)$/, "") + e), ...EXTENSIONS.map((e) => path.join(base, "index" + e))];
  for (const c of candidates) {
    try {
      if (statSync(c).isFile() && EXTENSIONS.some((e) => c.endsWith(e))) return c;
    } catch {
      // try the next candidate
    }
  }
  return null;
}

/**
 * With `types: false`, runtime imports only: `import type` vanishes at compile time. With `types: true`,
 * every import, since a cycle of types still ties two modules' designs together.
 */
export function importsOf(file: string, root: string, types: boolean): string[] {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const named = node.importClause?.namedBindings;
      const allTypes =
        node.importClause?.isTypeOnly ||
        (!node.importClause?.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly));
      if (types || !allTypes) specs.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && (types || !node.isTypeOnly)) {
      specs.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (types && ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specs.push(node.argument.literal.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...new Set(specs.map((s) => resolveImport(file, s, root)).filter((r): r is string => r !== null))];
}

export type Graph = Map<string, string[]>;

export function importGraph(root: string, types: boolean): Graph {
  const graph: Graph = new Map();
  for (const f of sourceFiles(root)) graph.set(path.relative(root, f), importsOf(f, root, types).map((t) => path.relative(root, t)));
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself): each is a cycle. */
export function importCycles(graph: Graph): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) connect(v);
  return cycles;
}

export function lineCount(file: string): number {
  const text = readFileSync(file, "utf8");
  return text.length === 0 ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

export function largestFiles(root: string, n: number): { file: string; lines: number }[] {
  return sourceFiles(root)
    .map((f) => ({ file: path.relative(root, f), lines: lineCount(f) }))
    .sort((a, b) => b.lines - a.lines)
    .slice(0, n);
}

/**
 * What each part may import, type imports included; the longest matching prefix rules a file.
 * formats/ is the files on disk that several programs read (datasets, checkpoints, tokenizers);
 * host/ the few helpers that touch the machine (cgroup memory, worker threads). The server runs
 * trainers; it never imports them. The model is pure: TensorFlow.js and lib/ only.
 */
export const LAYERS: Record<string, string[]> = {
  lib: ["lib"],
  formats: ["formats", "lib"],
  host: ["host", "lib"],
  trainer: ["trainer", "formats", "host", "lib"],
  "trainer/model": ["trainer/model", "lib"],
  worker: ["worker", "trainer", "formats", "host", "lib"],
  server: ["server", "formats", "host", "lib", "prisma", "generated"],
  app: ["app", "server", "lib"],
};

const within = (file: string, part: string) => file === part || file.startsWith(part + "/");

function ruleOf(file: string): string | undefined {
  return Object.keys(LAYERS)
    .filter((part) => within(file, part))
    .sort((a, b) => b.length - a.length)[0];
}

export function layerBreaches(graph: Graph): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const rule = ruleOf(from);
    if (!rule) continue;
    for (const to of targets) if (!LAYERS[rule].some((part) => within(to, part))) out.push(`${from} -> ${to}`);
  }
  return out.sort();
}

/**
 * The graph between folders (`depth` path segments), for cycles that no single file shows. A folder
 * and the folders inside it are one unit (trainer/loop and trainer/loop/parallel), so edges between
 * them are left out.
 */
export function folderGraph(graph: Graph, depth: number): Graph {
  const folder = (f: string) => path.dirname(f).split("/").slice(0, depth).join("/");
  const related = (a: string, b: string) => within(a, b) || within(b, a);
  const out: Graph = new Map();
  for (const [from, targets] of graph) {
    const edges = new Set(out.get(folder(from)) ?? []);
    for (const to of targets) if (!related(folder(to), folder(from))) edges.add(folder(to));
    out.set(folder(from), [...edges]);
  }
  return out;
}

export const MAX_LINES = 400;

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.cwd();
  const graph = importGraph(root, false);
  const typed = importGraph(root, true);
  const breaches = layerBreaches(typed);
  console.log(`${graph.size} source files`);
  console.log(`\nimport cycles at run time: ${importCycles(graph).length}`);
  const cycles = importCycles(typed);
  console.log(`import cycles counting type imports: ${cycles.length}`);
  for (const c of cycles) console.log(`  ${c.join(" <-> ")}`);
  const folderCycles = importCycles(folderGraph(typed, 3));
  console.log(`cycles between folders, counting type imports: ${folderCycles.length}`);
  for (const c of folderCycles) console.log(`  ${c.join(" <-> ")}`);
  console.log(`\nlayer breaches: ${breaches.length}`);
  for (const b of breaches) console.log(`  ${b}`);
  console.log("\nlargest files:");
  for (const { file, lines } of largestFiles(root, 15)) console.log(`  ${String(lines).padStart(5)}  ${file}`);
}
