// `ocrflow dag`: the stage graph as indented text, Mermaid or Graphviz DOT.
import type { StageName } from "./dvcyaml.ts";
import type { StageGraph } from "./graph.ts";

export type DagFormat = "text" | "mermaid" | "dot";

/** Edges (upstream → downstream) among the selected stages, in definition order. */
function edges(graph: StageGraph, selected: StageName[]): Array<[StageName, StageName]> {
  const set = new Set(selected);
  const out: Array<[StageName, StageName]> = [];
  for (const name of selected) {
    for (const up of graph.order) if (graph.upstream.get(name)?.has(up) && set.has(up)) out.push([up, name]);
  }
  return out;
}

/** Layers by longest path from a source, so the text view reads top to bottom like the pipeline runs. */
function layers(graph: StageGraph, selected: StageName[]): StageName[][] {
  const depth = new Map<StageName, number>();
  const set = new Set(selected);
  const visit = (name: StageName): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    depth.set(name, 0);
    let d = 0;
    for (const up of graph.upstream.get(name) ?? []) if (set.has(up)) d = Math.max(d, visit(up) + 1);
    depth.set(name, d);
    return d;
  };
  for (const name of selected) visit(name);
  const result: StageName[][] = [];
  for (const name of selected) {
    const d = depth.get(name) ?? 0;
    const layer = result[d] ?? [];
    layer.push(name);
    result[d] = layer;
  }
  return result;
}

export function renderDag(graph: StageGraph, selected: StageName[], format: DagFormat): string {
  const list = edges(graph, selected);
  const id = (name: string) => `s${graph.order.indexOf(name as StageName)}`;
  if (format === "mermaid") {
    const lines = ["flowchart TD"];
    for (const name of selected) lines.push(`  ${id(name)}["${name}"]`);
    for (const [a, b] of list) lines.push(`  ${id(a)} --> ${id(b)}`);
    return `${lines.join("\n")}\n`;
  }
  if (format === "dot") {
    const lines = ["strict digraph {"];
    for (const name of selected) lines.push(`  "${name}";`);
    for (const [a, b] of list) lines.push(`  "${a}" -> "${b}";`);
    lines.push("}");
    return `${lines.join("\n")}\n`;
  }
  const lines: string[] = [];
  layers(graph, selected).forEach((layer, index) => {
    lines.push(`${index + 1}. ${layer.join("   ")}`);
    for (const name of layer) {
      const ups = list.filter(([, b]) => b === name).map(([a]) => a);
      if (ups.length > 0) lines.push(`     ${name} ← ${ups.join(", ")}`);
    }
  });
  return `${lines.join("\n")}\n`;
}
