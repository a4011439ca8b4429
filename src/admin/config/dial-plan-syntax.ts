/**
 * Syntax of dial plan values, checked by `src/dialplan` itself so that the file accepts exactly
 * what digit analysis compiles. An error is reported at the YAML value with the character the
 * library points at (1-based), e.g. `"9[2-" : a range needs a digit after - (at character 5)`.
 */
import type { Node } from 'yaml';
import {
  type CompiledPattern,
  compileDialPlan,
  type DialPlanConfig,
  type DialPlanError,
  parseDestinationPattern,
  parseWildcardPattern,
  type Result,
  type SyntaxProblem,
} from '../../dialplan/index.js';
import { type DecodeContext, type Decoder, nodeAt, refine, text } from './yaml-decoder.js';

/** Longest pattern or rule text accepted; the library's own limits are tighter where they matter. */
const MAX_PATTERN = 128;

export function describeSyntaxError(value: string, problem: SyntaxProblem): string {
  return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}": ${problem.message} (at character ${problem.position + 1})`;
}

function parsedBy(parse: (text: string) => Result<CompiledPattern, SyntaxProblem>): Decoder<string> {
  return refine(text({ max: MAX_PATTERN }), (value, node, path, context) => {
    const parsed = parse(value);
    if (!parsed.ok) context.errorAtNode(node, path, describeSyntaxError(value, parsed.error));
    return parsed.ok;
  });
}

/** CUCM wildcard pattern: `9.[2-9]XXXXXX`, `2XX`, `\+!`. */
export const wildcardPattern = parsedBy(parseWildcardPattern);
/** IOS destination-pattern: `9[2-9]11`, `9011T`, `.%`. */
export const destinationPattern = parsedBy(parseDestinationPattern);

/**
 * Compiles `config`, a plan holding one item at `itemPath` (`dialPeers[0]`), and reports each
 * library error at the value it names (`dialPeers[0].sessionTarget` → the `sessionTarget` value
 * under `node`). References to other objects must be left out of `config`: they are checked with
 * the other references, where the whole file is known.
 */
export function checkWithLibrary(
  config: Omit<DialPlanConfig, 'version'>,
  itemPath: string,
  node: Node,
  path: string,
  context: DecodeContext,
): boolean {
  const compiled = compileDialPlan({ version: 0, ...config });
  if (compiled.ok) return true;
  for (const error of compiled.error) report(error, itemPath, node, path, context);
  return false;
}

function report(
  error: DialPlanError,
  itemPath: string,
  node: Node,
  path: string,
  context: DecodeContext,
): void {
  const inner = error.path.startsWith(itemPath) ? error.path.slice(itemPath.length) : '';
  const keys = inner.split(/\.|\[(\d+)\]/).filter((part) => part !== undefined && part !== '');
  const valueNode = nodeAtPath(node, keys);
  const value = scalarValue(valueNode);
  const message =
    error.position !== undefined && value !== undefined
      ? describeSyntaxError(value, { message: error.message, position: error.position })
      : error.message;
  const suffix = keys.map((key) => (/^\d+$/.test(key) ? `[${key}]` : `.${key}`)).join('');
  context.errorAtNode(valueNode, `${path}${suffix}`, message);
}

/** Walks mapping keys and list indexes below `node`. */
function nodeAtPath(node: Node, keys: readonly string[]): Node {
  let current = node;
  for (const key of keys) {
    const next = /^\d+$/.test(key)
      ? ((current as { items?: unknown[] }).items?.[Number(key)] as Node | undefined)
      : nodeAt(current, [key]);
    if (next === undefined || next === current) break;
    current = next;
  }
  return current;
}

function scalarValue(node: Node): string | undefined {
  const value = (node as { value?: unknown }).value;
  return typeof value === 'string' ? value : undefined;
}
