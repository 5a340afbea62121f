// Flash attention in WGSL, f32 (online softmax; the seq_q x seq_kv matrix is never stored).
//
// The constants BQ, BK, LANES, DV4, DECODE, WG, MERGE_WG, TILE_* and the storage type of K and V
// (KV4: vec4<f32>, or vec4<f16> with `enable f16` in the f16-storage variant) come from a header that
// gpu::plan writes in front of this file (see src/gpu/plan.rs for the layout and the mask
// table). Buffers hold rows padded to DP = 4 * DV4 numbers (vec4 loads), except the output.
//
// attend: one workgroup per (query block, head), or per (decode chunk, head) when DECODE.
//   Invocation lid holds query row lid % BQ and takes the keys lane, lane + LANES, ... of each
//   tile (lane = lid / BQ). For each key tile listed for the block (tiles the mask removes are
//   not listed): the workgroup stages K and V rows of the tile in workgroup memory, then each
//   invocation computes its scores in base 2 (q is pre-scaled by scale * log2 e), raises its
//   running max, rescales its sum and output, and adds p * V. Full tiles run with no test per
//   pair; crossed tiles test each pair with the rule (band, stride, keep bitmap) or the tile's
//   bits. Rows with no allowed key keep l = 0 and give zeros.
// merge (DECODE only): one workgroup per (query row, head); each invocation combines one vec4
//   of the output over every partial by log-sum-exp.
//
// Barriers are reached in workgroup-uniform control flow only: the tile loop's bounds and each
// tile's kind come from the uniform block and the read-only mask buffer at workgroup-uniform
// indices; per-invocation branches (masked pairs, rows past seq_q) never contain a barrier.

struct Params {
    seq_q: u32,
    seq_kv: u32,
    head_dim: u32,
    heads: u32,
    group: u32,
    q_blocks: u32,
    chunk_entries: u32,
    chunks: u32,
    scale2: f32,
    offset: i32,
    lo: i32,
    hi: i32,
    stride: u32,
    entries_at: u32,
    bits_at: u32,
    keep_at: u32,
    parts: u32,
    part_stride: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<KV4>;
@group(0) @binding(3) var<storage, read> v: array<KV4>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
// The output (heads x seq_q x head_dim) in prefill and in merge; the partials in decode.
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
// The decode partials, as merge reads them.
@group(0) @binding(6) var<storage, read> parts: array<vec4<f32>>;

// The K and V rows of the current tile: 2 * BK * DV4 * 16 bytes <= 16 KiB.
var<workgroup> kt: array<vec4<f32>, BK * DV4>;
var<workgroup> vt: array<vec4<f32>, BK * DV4>;

// Per invocation: the query row (scaled), the unnormalised output, the tile's scores.
var<private> qr: array<vec4<f32>, DV4>;
var<private> acc: array<vec4<f32>, DV4>;
var<private> s: array<f32, BK>;

// Stands for minus infinity (WGSL has no infinities to rely on): masked scores and the running
// max before any key. exp2(NEG - m) is 0 for any score m the kernel meets.
const NEG: f32 = -3.0e38;

// Does the mask's rule allow query i and key j?
fn rule_allows(i: u32, j: u32) -> bool {
    let d = i32(i) + P.offset - i32(j);
    var ok = d >= P.lo && d <= P.hi;
    if P.stride > 1u {
        ok = ok && (d % i32(P.stride)) == 0;
    }
    if P.keep_at != 0u {
        ok = ok && ((mask[P.keep_at + j / 32u] >> (j % 32u)) & 1u) != 0u;
    }
    return ok;
}

// q . k for key j of the staged tile (q already scaled).
fn score(j: u32) -> f32 {
    var a = vec4<f32>(0.0);
    let b = j * DV4;
    for (var x = 0u; x < DV4; x++) {
        a = fma(qr[x], kt[b + x], a);
    }
    return (a.x + a.y) + (a.z + a.w);
}

@compute @workgroup_size(WG)
fn attend(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let row = lid % BQ;
    // With one lane per row (prefill) the lane is the constant 0, so that compilers see the key
    // index, and with it every load of the staged tile, as uniform (a broadcast, not a gather).
    var lane = 0u;
    if LANES > 1u {
        lane = lid / BQ;
    }
    let h = wid.y;
    let kvh = h / P.group;

    // The block's tile entries: all of them in prefill, one chunk of them in decode.
    var qb = wid.x;
    var e0 = 0u;
    var e1 = 0u;
    if DECODE {
        qb = 0u;
        e0 = mask[0] + wid.x * P.chunk_entries;
        e1 = min(e0 + P.chunk_entries, mask[1]);
    } else {
        e0 = mask[qb];
        e1 = mask[qb + 1u];
    }

    let i = qb * BQ + row;
    let qbase = (h * P.seq_q + min(i, P.seq_q - 1u)) * DV4;
    for (var x = 0u; x < DV4; x++) {
        qr[x] = q[qbase + x] * P.scale2;
        acc[x] = vec4<f32>(0.0);
    }
    var m = NEG;
    var l = 0.0;

    for (var e = e0; e < e1; e++) {
        let ent = mask[P.entries_at + 2u * e];
        let kind = ent >> 30u;
        let k0 = (ent & 0x3FFFFFFFu) * BK;
        let n = min(BK, P.seq_kv - k0);

        // Stage the tile's K and V rows (vec4 loads shared by the workgroup).
        workgroupBarrier();
        let src = (kvh * P.seq_kv + k0) * DV4;
        for (var x = lid; x < n * DV4; x += WG) {
            kt[x] = vec4<f32>(k[src + x]);
            vt[x] = vec4<f32>(v[src + x]);
        }
        workgroupBarrier();

        // Scores of this invocation's keys, and their max.
        var tmax = NEG;
        if kind == TILE_FULL {
            for (var j = lane; j < n; j += LANES) {
                let sc = score(j);
                s[j] = sc;
                tmax = max(tmax, sc);
            }
        } else {
            var allow = 0u;
            if kind == TILE_BITS {
                allow = mask[P.bits_at + mask[P.entries_at + 2u * e + 1u] * BQ + row];
            } else {
                for (var j = lane; j < n; j += LANES) {
                    if rule_allows(i, k0 + j) {
                        allow |= 1u << j;
                    }
                }
            }
            for (var j = lane; j < n; j += LANES) {
                var sc = NEG;
                if ((allow >> j) & 1u) != 0u {
                    sc = score(j);
                }
                s[j] = sc;
                tmax = max(tmax, sc);
            }
        }

        // Online softmax: rescale when the max rises, then add p * V (p = 0 for masked keys).
        if tmax > NEG {
            if tmax > m {
                let c = exp2(m - tmax);
                l *= c;
                for (var x = 0u; x < DV4; x++) {
                    acc[x] *= c;
                }
                m = tmax;
            }
            for (var j = lane; j < n; j += LANES) {
                let p = exp2(s[j] - m);
                l += p;
                let b = j * DV4;
                for (var x = 0u; x < DV4; x++) {
                    acc[x] = fma(vec4<f32>(p), vt[b + x], acc[x]);
                }
            }
        }
    }

    if DECODE {
        // This invocation's partial: (max, sum, 0, 0), then the unnormalised output.
        let at = (((h * P.chunks + wid.x) * LANES + lane) * BQ + row) * P.part_stride;
        out[at] = m;
        out[at + 1u] = l;
        out[at + 2u] = 0.0;
        out[at + 3u] = 0.0;
        for (var x = 0u; x < DV4; x++) {
            for (var c = 0u; c < 4u; c++) {
                out[at + 4u + 4u * x + c] = acc[x][c];
            }
        }
    } else if i < P.seq_q {
        let inv = select(0.0, 1.0 / l, l > 0.0);
        let ob = (h * P.seq_q + i) * P.head_dim;
        for (var x = 0u; x < P.head_dim; x++) {
            out[ob + x] = acc[x / 4u][x % 4u] * inv;
        }
    }
}

@compute @workgroup_size(MERGE_WG)
fn merge(@builtin(local_invocation_index) x: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let row = wid.x;
    let h = wid.y;
    if x >= DV4 {
        return;
    }
    let ps4 = P.part_stride / 4u;
    // Partial pp of (h, row) sits at ((h * parts + pp) * BQ + row) * part_stride.
    var mx = NEG;
    for (var pp = 0u; pp < P.parts; pp++) {
        mx = max(mx, parts[((h * P.parts + pp) * BQ + row) * ps4].x);
    }
    var l = 0.0;
    var o = vec4<f32>(0.0);
    for (var pp = 0u; pp < P.parts; pp++) {
        let b = ((h * P.parts + pp) * BQ + row) * ps4;
        let ml = parts[b];
        let w = exp2(ml.x - mx);
        l += ml.y * w;
        o = fma(vec4<f32>(w), parts[b + 1u + x], o);
    }
    let inv = select(0.0, 1.0 / l, l > 0.0);
    let ob = (h * P.seq_q + row) * P.head_dim;
    for (var c = 0u; c < 4u; c++) {
        let dim = 4u * x + c;
        if dim < P.head_dim {
            out[ob + dim] = o[c] * inv;
        }
    }
}
