import { load } from "../api/program.js";
import { printGraph } from "../core/graph_text.js";
import { shapeText } from "../core/shape.js";
import type { Command } from "./commands.js";
import { readSources } from "./io.js";
import { UsageError } from "./main.js";

export const checkCommand: Command = {
  summary: "check a program and print its graph (shapes and levels per node)",
  help: `usage: lift check FILE...

Checks the program and prints its graph, one node per line:
  %7 = * %3 %0 : (8 24 24 5 5)  levels (8)[1 0] (24 24)[0 2]  ; name
A level is a frame created by a rank; [a b] says how many of its leading axes index each
operand (the operand is repeated along the rest). Then the declarations (inputs, params,
outputs, grads, sizes); the text parses back to the same graph (src/core/graph_text.ts).
On an error, prints file:line:col and the reason, and exits with status 1.`,
  options: {},
  async run(_v, files) {
    if (files.length === 0) throw new UsageError("no program file given");
    const { graph } = load(readSources(files));
    process.stdout.write(printGraph(graph));
    return 0;
  },
};

export const gradCommand: Command = {
  summary: "print the gradient part of the graph, per grad declaration",
  help: `usage: lift grad FILE...

For every \`D :: (grad L W)\` prints the nodes that reverse accumulation appended for it
(contributions per use, summed with +; nodes shared with earlier declarations are not
repeated) and the node D denotes.`,
  options: {},
  async run(_v, files) {
    if (files.length === 0) throw new UsageError("no program file given");
    const { graph } = load(readSources(files));
    if (graph.grads.length === 0) {
      process.stdout.write("no grad declarations\n");
      return 0;
    }
    const out: string[] = [];
    graph.grads.forEach((d, i) => {
      const end = graph.grads[i + 1]?.firstNode ?? graph.nodes.length;
      const own = graph
        .print(d.firstNode)
        .split("\n")
        .slice(0, end - d.firstNode)
        .filter(Boolean);
      out.push(`${d.name} :: (grad %${d.loss} %${d.wrt}) = %${d.node} ${shapeText(d.shape)}`);
      out.push(...(own.length ? own.map((l) => `  ${l}`) : ["  (shares nodes built earlier)"]));
    });
    process.stdout.write(out.join("\n") + "\n");
    return 0;
  },
};
