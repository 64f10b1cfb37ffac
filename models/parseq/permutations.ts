// Permutation language modelling for PARSeq (after baudm/parseq's system.py): the K target orders of a batch,
// forward and mirrored included, and the attention masks each order implies for the content and query streams.
import { Random } from "../../datasets/random.ts";

export interface PermutationSettings {
  permutations: number;
  perm_forward: boolean;
  perm_mirrored: boolean;
}

/**
 * Orders over positions 0..chars+1 (BOS, characters, EOS): BOS first and EOS last always. The first is the
 * left-to-right order when perm_forward; with perm_mirrored each sampled order is followed by its mirror, and
 * the second order is right-to-left (as parseq does). Deterministic for a seed.
 */
export function trainingPermutations(chars: number, settings: PermutationSettings, seed: number): number[][] {
  const forward = Array.from({ length: chars }, (_, i) => i);
  if (chars <= 1) return [[0, ...forward.map((i) => i + 1), chars + 1]];
  const rng = new Random(seed, 0x9e37);
  const wanted = Math.max(
    1,
    settings.perm_mirrored ? Math.floor(settings.permutations / 2) : settings.permutations,
  );
  let possible = 1;
  for (let i = 2; i <= chars && possible < 1e6; i++) possible *= i;
  if (settings.perm_mirrored) possible = Math.max(1, Math.floor(possible / 2));
  const count = Math.min(wanted, possible);
  const orders: number[][] = settings.perm_forward ? [forward] : [];
  const seen = new Set(orders.map((o) => o.join(",")));
  const mirrorKey = (o: number[]) => [...o].reverse().join(",");
  for (let tries = 0; orders.length < count && tries < 100 * count; tries++) {
    const o = rng.shuffle([...forward]);
    const key = o.join(",");
    if (seen.has(key) || (settings.perm_mirrored && seen.has(mirrorKey(o)))) continue;
    seen.add(key);
    orders.push(o);
  }
  const withMirrors = settings.perm_mirrored ? orders.flatMap((o) => [o, [...o].reverse()]) : orders;
  return withMirrors.map((o) => [0, ...o.map((i) => i + 1), chars + 1]);
}

/**
 * parseq's generate_attn_masks for one order over `sz` positions: position perm[i] may not see perm[i+1..].
 * Returns additive masks, both [sz-1, sz-1] row-major: the content mask (inputs BOS..last char) and the query
 * mask (rows = output positions 1..sz-1, which also may not see their own input position).
 */
export function permutationMasks(perm: readonly number[]): {
  contentMask: Float32Array;
  queryMask: Float32Array;
} {
  const sz = perm.length;
  const NEG = -1e9;
  const mask = new Float32Array(sz * sz);
  for (let i = 0; i < sz; i++) {
    const q = perm[i] as number;
    for (let j = i + 1; j < sz; j++) mask[q * sz + (perm[j] as number)] = NEG;
  }
  const m = sz - 1;
  const contentMask = new Float32Array(m * m);
  const queryMask = new Float32Array(m * m);
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < m; c++) {
      contentMask[r * m + c] = mask[r * sz + c] as number;
      // Query row r is output position r+1; "self" is content position r+1 … masked on the diagonal of the full mask.
      const full = (r + 1) * sz + c;
      queryMask[r * m + c] = r + 1 === c ? NEG : (mask[full] as number);
    }
  }
  return { contentMask, queryMask };
}
