// Decode by subgroups (variants "subgroups" and "f16-storage+subgroups"; appended by gpu::plan
// after attention.wgsl, with `enable subgroups;`, `diagnostic(off, subgroup_uniformity);` and
// SG_DV = ceil(DV4 / 4) in the header).
//
// attend_sg: one workgroup of WG = 128 invocations per (decode chunk, head), like `attend` in
//   decode. The workgroup's subgroups number themselves (one atomic per subgroup, then the one
//   barrier, at the top, in uniform control flow); the subgroup size is whatever the adapter
//   chose (4 ... 128; 128 is a multiple of each), and the lanes are counted, not assumed
//   (subgroupExclusiveAdd / subgroupAdd of 1), so a partly filled subgroup is still right.
//   Key column c of every listed tile of the chunk is slot c (LANES = BK = 32 slots); subgroup
//   g takes slots g, g + nsg, ... For each of its keys and each query row, the subgroup works
//   together: lane x holds vec4s x, x + width, ... of the query row (scaled) and of the output,
//   reads the same vec4s of the key's K and V rows straight from storage (neighbouring lanes,
//   neighbouring addresses), and the score is subgroupAdd of the lanes' partial dot products,
//   so the running max and sum are the same in every lane. A slot's (max, sum, output) is one
//   partial, as in `attend`, and `merge` combines them by log-sum-exp.
//
// Control flow: the only barrier is at the top, reached by every invocation. The key loops
// depend on the subgroup's number, so they are not workgroup-uniform, but they are the same in
// every lane of a subgroup (the slot, the key and the mask's answer are per subgroup), which is
// what the subgroup operations in them need.

var<workgroup> sg_count: atomic<u32>;

// Per lane: its vec4s of each query row (scaled) and of each row's output, and of the key's
// K and V rows.
var<private> sq: array<vec4<f32>, BQ * SG_DV>;
var<private> sacc: array<vec4<f32>, BQ * SG_DV>;
var<private> kk: array<vec4<f32>, SG_DV>;
var<private> vv: array<vec4<f32>, SG_DV>;

@compute @workgroup_size(WG)
fn attend_sg(@builtin(workgroup_id) wid: vec3<u32>) {
    let lane = subgroupExclusiveAdd(1u);
    let width = subgroupAdd(1u);
    var mine = 0u;
    if lane == 0u {
        mine = atomicAdd(&sg_count, 1u);
    }
    let g = subgroupMax(mine);
    workgroupBarrier();
    let nsg = atomicLoad(&sg_count);

    let h = wid.y;
    let kvh = h / P.group;
    let e0 = mask[0] + wid.x * P.chunk_entries;
    let e1 = min(e0 + P.chunk_entries, mask[1]);

    for (var r = 0u; r < BQ; r++) {
        let qbase = (h * P.seq_q + r) * DV4;
        for (var t = 0u; t < SG_DV; t++) {
            let x = lane + t * width;
            var qv = vec4<f32>(0.0);
            if x < DV4 {
                qv = q[qbase + x] * P.scale2;
            }
            sq[r * SG_DV + t] = qv;
        }
    }

    for (var slot = g; slot < LANES; slot += nsg) {
        var m: array<f32, BQ>;
        var l: array<f32, BQ>;
        for (var r = 0u; r < BQ; r++) {
            m[r] = NEG;
            l[r] = 0.0;
            for (var t = 0u; t < SG_DV; t++) {
                sacc[r * SG_DV + t] = vec4<f32>(0.0);
            }
        }
        for (var e = e0; e < e1; e++) {
            let ent = mask[P.entries_at + 2u * e];
            let kind = ent >> 30u;
            let j = (ent & 0x3FFFFFFFu) * BK + slot;
            if j >= P.seq_kv {
                continue;
            }
            let src = (kvh * P.seq_kv + j) * DV4;
            for (var t = 0u; t < SG_DV; t++) {
                let x = lane + t * width;
                if x < DV4 {
                    kk[t] = vec4<f32>(k[src + x]);
                    vv[t] = vec4<f32>(v[src + x]);
                } else {
                    kk[t] = vec4<f32>(0.0);
                    vv[t] = vec4<f32>(0.0);
                }
            }
            for (var r = 0u; r < BQ; r++) {
                var ok = true;
                if kind == TILE_RULE {
                    ok = rule_allows(r, j);
                } else if kind == TILE_BITS {
                    let w = mask[P.bits_at + mask[P.entries_at + 2u * e + 1u] * BQ + r];
                    ok = ((w >> slot) & 1u) != 0u;
                }
                if !ok {
                    continue;
                }
                var a = 0.0;
                for (var t = 0u; t < SG_DV; t++) {
                    a += dot(sq[r * SG_DV + t], kk[t]);
                }
                let sc = subgroupAdd(a);
                let mn = max(m[r], sc);
                let c = exp2(m[r] - mn);
                let p = exp2(sc - mn);
                l[r] = fma(l[r], c, p);
                m[r] = mn;
                for (var t = 0u; t < SG_DV; t++) {
                    sacc[r * SG_DV + t] = fma(vec4<f32>(p), vv[t], sacc[r * SG_DV + t] * c);
                }
            }
        }
        // The slot's partials, one per row: (max, sum, 0, 0), then the unnormalised output.
        for (var r = 0u; r < BQ; r++) {
            let at = (((h * P.chunks + wid.x) * LANES + slot) * BQ + r) * P.part_stride;
            if lane == 0u {
                out[at] = m[r];
                out[at + 1u] = l[r];
                out[at + 2u] = 0.0;
                out[at + 3u] = 0.0;
            }
            for (var t = 0u; t < SG_DV; t++) {
                let x = lane + t * width;
                if x < DV4 {
                    for (var c = 0u; c < 4u; c++) {
                        out[at + 4u + 4u * x + c] = sacc[r * SG_DV + t][c];
                    }
                }
            }
        }
    }
}
