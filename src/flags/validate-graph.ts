/**
 * The reference graphs of a config: prerequisites between flags and `inSegment` references between
 * segments. Both must be acyclic (a cycle is refused, named in full), no deeper than the depth limit,
 * and bounded in expansion (how many evaluations one evaluation may trigger, repeats counted), so one
 * evaluation does bounded work and the evaluator's recursion stays shallow.
 */

/** A reference from one node to another, and where in the config it is written. */
export interface GraphEdge {
  readonly to: string;
  readonly path: string;
}

/** A graph to check. */
export interface GraphSpec {
  /** `prerequisite` or `segment`, for messages. */
  readonly what: string;
  readonly nodes: Iterable<string>;
  edges(node: string): readonly GraphEdge[];
  /** Where a node's references live, for an expansion error (`flags.a.prerequisites`). */
  pathOf(node: string): string;
  readonly maxDepth: number;
  readonly maxExpansion: number;
  /** Throws the config error for `node` at `path`. */
  fail(node: string, path: string, message: string): never;
}

interface Frame {
  readonly node: string;
  readonly edges: readonly GraphEdge[];
  next: number;
}

/** What the check learnt: nodes in dependency order (references first) and each node's expansion. */
export interface GraphFacts {
  readonly order: readonly string[];
  readonly expansion: ReadonlyMap<string, number>;
}

class GraphWalk {
  private readonly state = new Map<string, 'open' | 'done'>();
  private readonly depth = new Map<string, number>();
  readonly expansion = new Map<string, number>();
  readonly order: string[] = [];

  constructor(private readonly spec: GraphSpec) {}

  visit(root: string): void {
    if (this.state.has(root)) return;
    const stack: Frame[] = [this.open(root)];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edge = top.edges[top.next++];
      if (edge === undefined) {
        this.close(top);
        stack.pop();
      } else if (this.state.get(edge.to) === 'open') {
        const names = [
          ...stack.slice(stack.findIndex((f) => f.node === edge.to)).map((f) => f.node),
          edge.to,
        ];
        this.spec.fail(top.node, edge.path, `${this.spec.what} cycle: ${names.join(' -> ')}`);
      } else if (!this.state.has(edge.to)) {
        stack.push(this.open(edge.to));
      }
    }
  }

  private open(node: string): Frame {
    this.state.set(node, 'open');
    return { node, edges: this.spec.edges(node), next: 0 };
  }

  private close(frame: Frame): void {
    const { spec } = this;
    let depth = 0;
    let expansion = 1;
    for (const edge of frame.edges) {
      const below = this.depth.get(edge.to)! + 1;
      if (below > spec.maxDepth) {
        spec.fail(
          frame.node,
          edge.path,
          `${spec.what} chain deeper than ${spec.maxDepth} through ${edge.to}`,
        );
      }
      depth = Math.max(depth, below);
      expansion += this.expansion.get(edge.to)!;
    }
    if (expansion > spec.maxExpansion) {
      spec.fail(
        frame.node,
        spec.pathOf(frame.node),
        `${spec.what} references expand to more than ${spec.maxExpansion} evaluations`,
      );
    }
    this.depth.set(frame.node, depth);
    this.expansion.set(frame.node, expansion);
    this.state.set(frame.node, 'done');
    this.order.push(frame.node);
  }
}

/** Checks a reference graph (iteratively: a 10,000-long chain needs no deep recursion). */
export function checkGraph(spec: GraphSpec): GraphFacts {
  const walk = new GraphWalk(spec);
  for (const node of spec.nodes) walk.visit(node);
  return { order: walk.order, expansion: walk.expansion };
}
