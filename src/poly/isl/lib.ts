// Raw binding to the system isl (libisl.so.23, isl 0.25) through koffi.
//
// Every function we use is declared below with its C prototype copied from the isl
// headers, *including* the __isl_give / __isl_take / __isl_keep annotations. The
// annotations are parsed at bind time and drive ownership in core.ts: a wrapper
// argument in a __isl_take position is passed as a fresh reference (isl_X_copy), one
// in a __isl_keep position is lent. Keeping the annotations here, next to the C
// text, is what makes the wrapper auditable against the headers.
//
// Conventions of this table (they differ from the headers only where koffi needs it):
//  - the function name is the key, the value is "return type (parameters)";
//  - function-pointer parameters name a callback type declared in CALLBACKS;
//  - multi-line macro-generated functions (lists, multi_*) were expanded by hand.
// Nothing here needs the isl headers at run time.

import koffi from "koffi";

type KoffiFn = ReturnType<ReturnType<typeof koffi.load>["func"]>;

/** Candidates tried in order; LIFT_LIBISL overrides (full path or soname). */
const ISL_CANDIDATES = [
  process.env.LIFT_LIBISL,
  "/usr/lib/x86_64-linux-gnu/libisl.so.23",
  "libisl.so.23",
].filter((p): p is string => typeof p === "string" && p.length > 0);

const PROTOTYPES = {
  // context and errors
  isl_ctx_alloc: "isl_ctx * (void)",
  isl_ctx_free: "void (isl_ctx *ctx)",
  isl_ctx_last_error: "enum isl_error (isl_ctx *ctx)",
  isl_ctx_last_error_msg: "const char * (isl_ctx *ctx)",
  isl_ctx_last_error_file: "const char * (isl_ctx *ctx)",
  isl_ctx_last_error_line: "int (isl_ctx *ctx)",
  isl_ctx_reset_error: "void (isl_ctx *ctx)",
  isl_ctx_set_max_operations: "void (isl_ctx *ctx, unsigned long max_operations)",
  isl_ctx_get_max_operations: "unsigned long (isl_ctx *ctx)",
  isl_ctx_reset_operations: "void (isl_ctx *ctx)",
  // val and id
  isl_val_read_from_str: "__isl_give isl_val * (isl_ctx *ctx, const char *str)",
  isl_val_int_from_si: "__isl_give isl_val * (isl_ctx *ctx, long i)",
  isl_val_copy: "__isl_give isl_val * (__isl_keep isl_val *v)",
  isl_val_free: "__isl_null isl_val * (__isl_take isl_val *v)",
  isl_val_to_str: "__isl_give char * (__isl_keep isl_val *v)",
  isl_val_get_num_si: "long (__isl_keep isl_val *v)",
  isl_val_get_den_si: "long (__isl_keep isl_val *v)",
  isl_val_is_int: "isl_bool (__isl_keep isl_val *v)",
  isl_multi_val_read_from_str: "__isl_give isl_multi_val * (isl_ctx *ctx, const char *str)",
  isl_multi_val_copy: "__isl_give isl_multi_val * (__isl_keep isl_multi_val *multi)",
  isl_multi_val_free: "__isl_null isl_multi_val * (__isl_take isl_multi_val *multi)",
  isl_multi_val_to_str: "__isl_give char * (__isl_keep isl_multi_val *mv)",
  isl_id_alloc: "__isl_give isl_id * (isl_ctx *ctx, __isl_keep const char *name, void *user)",
  isl_id_read_from_str: "__isl_give isl_id * (isl_ctx *ctx, const char *str)",
  isl_id_copy: "__isl_give isl_id * (__isl_keep isl_id *id)",
  isl_id_free: "__isl_null isl_id * (__isl_take isl_id *id)",
  isl_id_to_str: "__isl_give char * (__isl_keep isl_id *id)",
  isl_id_get_name: "__isl_keep const char * (__isl_keep isl_id *id)",
  isl_id_get_user: "void * (__isl_keep isl_id *id)",
  // space
  isl_space_read_from_str: "__isl_give isl_space * (isl_ctx *ctx, const char *str)",
  isl_space_copy: "__isl_give isl_space * (__isl_keep isl_space *space)",
  isl_space_free: "__isl_null isl_space * (__isl_take isl_space *space)",
  isl_space_to_str: "__isl_give char * (__isl_keep isl_space *space)",
  isl_space_dim: "isl_size (__isl_keep isl_space *space, enum isl_dim_type type)",
  isl_space_is_equal: "isl_bool (__isl_keep isl_space *space1, __isl_keep isl_space *space2)",
  // set
  isl_set_read_from_str: "__isl_give isl_set * (isl_ctx *ctx, const char *str)",
  isl_set_copy: "__isl_give isl_set * (__isl_keep isl_set *set)",
  isl_set_free: "__isl_null isl_set * (__isl_take isl_set *set)",
  isl_set_to_str: "__isl_give char * (__isl_keep isl_set *set)",
  isl_set_get_space: "__isl_give isl_space * (__isl_keep isl_set *set)",
  isl_set_union: "__isl_give isl_set * (__isl_take isl_set *set1, __isl_take isl_set *set2)",
  isl_set_intersect: "__isl_give isl_set * (__isl_take isl_set *set1, __isl_take isl_set *set2)",
  isl_set_subtract: "__isl_give isl_set * (__isl_take isl_set *set1, __isl_take isl_set *set2)",
  isl_set_intersect_params: "__isl_give isl_set * (__isl_take isl_set *set, __isl_take isl_set *params)",
  isl_set_apply: "__isl_give isl_set * (__isl_take isl_set *set, __isl_take isl_map *map)",
  isl_set_gist: "__isl_give isl_set * (__isl_take isl_set *set, __isl_take isl_set *context)",
  isl_set_complement: "__isl_give isl_set * (__isl_take isl_set *set)",
  isl_set_is_empty: "isl_bool (__isl_keep isl_set *set)",
  isl_set_is_subset: "isl_bool (__isl_keep isl_set *set1, __isl_keep isl_set *set2)",
  isl_set_is_equal: "isl_bool (__isl_keep isl_set *set1, __isl_keep isl_set *set2)",
  isl_set_is_disjoint: "isl_bool (__isl_keep isl_set *set1, __isl_keep isl_set *set2)",
  isl_set_is_bounded: "isl_bool (__isl_keep isl_set *set)",
  isl_set_lexmin: "__isl_give isl_set * (__isl_take isl_set *set)",
  isl_set_lexmax: "__isl_give isl_set * (__isl_take isl_set *set)",
  isl_set_coalesce: "__isl_give isl_set * (__isl_take isl_set *set)",
  isl_set_detect_equalities: "__isl_give isl_set * (__isl_take isl_set *set)",
  isl_set_affine_hull: "__isl_give isl_basic_set * (__isl_take isl_set *set)",
  isl_set_from_basic_set: "__isl_give isl_set * (__isl_take isl_basic_set *bset)",
  isl_set_params: "__isl_give isl_set * (__isl_take isl_set *set)",
  isl_set_align_params: "__isl_give isl_set * (__isl_take isl_set *set, __isl_take isl_space *model)",
  isl_set_project_out: "__isl_give isl_set * (__isl_take isl_set *set, enum isl_dim_type type, unsigned first, unsigned n)",
  isl_set_eliminate: "__isl_give isl_set * (__isl_take isl_set *set, enum isl_dim_type type, unsigned first, unsigned n)",
  isl_set_fix_si: "__isl_give isl_set * (__isl_take isl_set *set, enum isl_dim_type type, unsigned pos, int value)",
  isl_set_insert_dims: "__isl_give isl_set * (__isl_take isl_set *set, enum isl_dim_type type, unsigned pos, unsigned n)",
  isl_set_dim: "isl_size (__isl_keep isl_set *set, enum isl_dim_type type)",
  isl_set_get_dim_name: "const char * (__isl_keep isl_set *set, enum isl_dim_type type, unsigned pos)",
  isl_set_set_dim_name: "__isl_give isl_set * (__isl_take isl_set *set, enum isl_dim_type type, unsigned pos, const char *s)",
  isl_set_find_dim_by_name: "int (__isl_keep isl_set *set, enum isl_dim_type type, const char *name)",
  isl_set_get_tuple_name: "const char * (__isl_keep isl_set *set)",
  isl_set_set_tuple_name: "__isl_give isl_set * (__isl_take isl_set *set, const char *s)",
  isl_set_dim_min: "__isl_give isl_pw_aff * (__isl_take isl_set *set, int pos)",
  isl_set_dim_max: "__isl_give isl_pw_aff * (__isl_take isl_set *set, int pos)",
  isl_set_identity: "__isl_give isl_map * (__isl_take isl_set *set)",
  isl_set_universe: "__isl_give isl_set * (__isl_take isl_space *space)",
  isl_set_empty: "__isl_give isl_set * (__isl_take isl_space *space)",
  isl_basic_set_copy: "__isl_give isl_basic_set * (__isl_keep isl_basic_set *bset)",
  isl_basic_set_free: "__isl_null isl_basic_set * (__isl_take isl_basic_set *bset)",
  isl_basic_set_to_str: "__isl_give char * (__isl_keep isl_basic_set *bset)",
  // map
  isl_map_read_from_str: "__isl_give isl_map * (isl_ctx *ctx, const char *str)",
  isl_map_copy: "__isl_give isl_map * (__isl_keep isl_map *map)",
  isl_map_free: "__isl_null isl_map * (__isl_take isl_map *map)",
  isl_map_to_str: "__isl_give char * (__isl_keep isl_map *map)",
  isl_map_get_space: "__isl_give isl_space * (__isl_keep isl_map *map)",
  isl_map_union: "__isl_give isl_map * (__isl_take isl_map *map1, __isl_take isl_map *map2)",
  isl_map_intersect: "__isl_give isl_map * (__isl_take isl_map *map1, __isl_take isl_map *map2)",
  isl_map_subtract: "__isl_give isl_map * (__isl_take isl_map *map1, __isl_take isl_map *map2)",
  isl_map_intersect_params: "__isl_give isl_map * (__isl_take isl_map *map, __isl_take isl_set *params)",
  isl_map_intersect_domain: "__isl_give isl_map * (__isl_take isl_map *map, __isl_take isl_set *set)",
  isl_map_intersect_range: "__isl_give isl_map * (__isl_take isl_map *map, __isl_take isl_set *set)",
  isl_map_apply_range: "__isl_give isl_map * (__isl_take isl_map *map1, __isl_take isl_map *map2)",
  isl_map_apply_domain: "__isl_give isl_map * (__isl_take isl_map *map1, __isl_take isl_map *map2)",
  isl_map_reverse: "__isl_give isl_map * (__isl_take isl_map *map)",
  isl_map_domain: "__isl_give isl_set * (__isl_take isl_map *bmap)",
  isl_map_range: "__isl_give isl_set * (__isl_take isl_map *map)",
  isl_map_deltas: "__isl_give isl_set * (__isl_take isl_map *map)",
  isl_map_gist: "__isl_give isl_map * (__isl_take isl_map *map, __isl_take isl_map *context)",
  isl_map_complement: "__isl_give isl_map * (__isl_take isl_map *map)",
  isl_map_is_empty: "isl_bool (__isl_keep isl_map *map)",
  isl_map_is_subset: "isl_bool (__isl_keep isl_map *map1, __isl_keep isl_map *map2)",
  isl_map_is_equal: "isl_bool (__isl_keep isl_map *map1, __isl_keep isl_map *map2)",
  isl_map_is_injective: "isl_bool (__isl_keep isl_map *map)",
  isl_map_is_single_valued: "isl_bool (__isl_keep isl_map *map)",
  isl_map_is_bijective: "isl_bool (__isl_keep isl_map *map)",
  isl_map_lexmin: "__isl_give isl_map * (__isl_take isl_map *map)",
  isl_map_lexmax: "__isl_give isl_map * (__isl_take isl_map *map)",
  isl_map_coalesce: "__isl_give isl_map * (__isl_take isl_map *map)",
  isl_map_detect_equalities: "__isl_give isl_map * (__isl_take isl_map *map)",
  isl_map_affine_hull: "__isl_give isl_basic_map * (__isl_take isl_map *map)",
  isl_map_from_basic_map: "__isl_give isl_map * (__isl_take isl_basic_map *bmap)",
  isl_map_params: "__isl_give isl_set * (__isl_take isl_map *map)",
  isl_map_align_params: "__isl_give isl_map * (__isl_take isl_map *map, __isl_take isl_space *model)",
  isl_map_project_out: "__isl_give isl_map * (__isl_take isl_map *map, enum isl_dim_type type, unsigned first, unsigned n)",
  isl_map_eliminate: "__isl_give isl_map * (__isl_take isl_map *map, enum isl_dim_type type, unsigned first, unsigned n)",
  isl_map_fix_si: "__isl_give isl_map * (__isl_take isl_map *map, enum isl_dim_type type, unsigned pos, int value)",
  isl_map_insert_dims: "__isl_give isl_map * (__isl_take isl_map *map, enum isl_dim_type type, unsigned pos, unsigned n)",
  isl_map_dim: "isl_size (__isl_keep isl_map *map, enum isl_dim_type type)",
  isl_map_get_dim_name: "const char * (__isl_keep isl_map *map, enum isl_dim_type type, unsigned pos)",
  isl_map_find_dim_by_name: "int (__isl_keep isl_map *map, enum isl_dim_type type, const char *name)",
  isl_map_get_tuple_name: "const char * (__isl_keep isl_map *map, enum isl_dim_type type)",
  isl_map_set_tuple_name: "__isl_give isl_map * (__isl_take isl_map *map, enum isl_dim_type type, const char *s)",
  isl_map_from_domain_and_range: "__isl_give isl_map * (__isl_take isl_set *domain, __isl_take isl_set *range)",
  isl_map_from_union_map: "__isl_give isl_map * (__isl_take isl_union_map *umap)",
  isl_map_from_pw_multi_aff: "__isl_give isl_map * (__isl_take isl_pw_multi_aff *pma)",
  isl_pw_multi_aff_from_map: "__isl_give isl_pw_multi_aff * (__isl_take isl_map *map)",
  isl_basic_map_copy: "__isl_give isl_basic_map * (__isl_keep isl_basic_map *bmap)",
  isl_basic_map_free: "__isl_null isl_basic_map * (__isl_take isl_basic_map *bmap)",
  isl_basic_map_to_str: "__isl_give char * (__isl_keep isl_basic_map *bmap)",
  // union set
  isl_union_set_read_from_str: "__isl_give isl_union_set * (isl_ctx *ctx, const char *str)",
  isl_union_set_copy: "__isl_give isl_union_set * (__isl_keep isl_union_set *uset)",
  isl_union_set_free: "__isl_null isl_union_set * (__isl_take isl_union_set *uset)",
  isl_union_set_to_str: "__isl_give char * (__isl_keep isl_union_set *uset)",
  isl_union_set_get_space: "__isl_give isl_space * (__isl_keep isl_union_set *uset)",
  isl_union_set_union: "__isl_give isl_union_set * (__isl_take isl_union_set *uset1, __isl_take isl_union_set *uset2)",
  isl_union_set_intersect: "__isl_give isl_union_set * (__isl_take isl_union_set *uset1, __isl_take isl_union_set *uset2)",
  isl_union_set_subtract: "__isl_give isl_union_set * (__isl_take isl_union_set *uset1, __isl_take isl_union_set *uset2)",
  isl_union_set_intersect_params: "__isl_give isl_union_set * (__isl_take isl_union_set *uset, __isl_take isl_set *set)",
  isl_union_set_apply: "__isl_give isl_union_set * (__isl_take isl_union_set *uset, __isl_take isl_union_map *umap)",
  isl_union_set_gist: "__isl_give isl_union_set * (__isl_take isl_union_set *uset, __isl_take isl_union_set *context)",
  isl_union_set_is_empty: "isl_bool (__isl_keep isl_union_set *uset)",
  isl_union_set_is_subset: "isl_bool (__isl_keep isl_union_set *uset1, __isl_keep isl_union_set *uset2)",
  isl_union_set_is_equal: "isl_bool (__isl_keep isl_union_set *uset1, __isl_keep isl_union_set *uset2)",
  isl_union_set_lexmin: "__isl_give isl_union_set * (__isl_take isl_union_set *uset)",
  isl_union_set_lexmax: "__isl_give isl_union_set * (__isl_take isl_union_set *uset)",
  isl_union_set_coalesce: "__isl_give isl_union_set * (__isl_take isl_union_set *uset)",
  isl_union_set_detect_equalities: "__isl_give isl_union_set * (__isl_take isl_union_set *uset)",
  isl_union_set_affine_hull: "__isl_give isl_union_set * (__isl_take isl_union_set *uset)",
  isl_union_set_params: "__isl_give isl_set * (__isl_take isl_union_set *uset)",
  isl_union_set_align_params: "__isl_give isl_union_set * (__isl_take isl_union_set *uset, __isl_take isl_space *model)",
  isl_union_set_project_out: "__isl_give isl_union_set * (__isl_take isl_union_set *uset, enum isl_dim_type type, unsigned first, unsigned n)",
  isl_union_set_n_set: "isl_size (__isl_keep isl_union_set *uset)",
  isl_union_set_foreach_set: "isl_stat (__isl_keep isl_union_set *uset, isl_set_cb *fn, void *user)",
  isl_union_set_from_set: "__isl_give isl_union_set * (__isl_take isl_set *set)",
  isl_set_from_union_set: "__isl_give isl_set * (__isl_take isl_union_set *uset)",
  isl_union_set_extract_set: "__isl_give isl_set * (__isl_keep isl_union_set *uset, __isl_take isl_space *space)",
  isl_union_set_identity: "__isl_give isl_union_map * (__isl_take isl_union_set *uset)",
  isl_union_set_universe: "__isl_give isl_union_set * (__isl_take isl_union_set *uset)",
  isl_union_set_empty_ctx: "__isl_give isl_union_set * (isl_ctx *ctx)",
  isl_union_set_lex_lt_union_set: "__isl_give isl_union_map * (__isl_take isl_union_set *uset1, __isl_take isl_union_set *uset2)",
  // union map
  isl_union_map_read_from_str: "__isl_give isl_union_map * (isl_ctx *ctx, const char *str)",
  isl_union_map_copy: "__isl_give isl_union_map * (__isl_keep isl_union_map *umap)",
  isl_union_map_free: "__isl_null isl_union_map * (__isl_take isl_union_map *umap)",
  isl_union_map_to_str: "__isl_give char * (__isl_keep isl_union_map *umap)",
  isl_union_map_get_space: "__isl_give isl_space * (__isl_keep isl_union_map *umap)",
  isl_union_map_union: "__isl_give isl_union_map * (__isl_take isl_union_map *umap1, __isl_take isl_union_map *umap2)",
  isl_union_map_intersect: "__isl_give isl_union_map * (__isl_take isl_union_map *umap1, __isl_take isl_union_map *umap2)",
  isl_union_map_subtract: "__isl_give isl_union_map * (__isl_take isl_union_map *umap1, __isl_take isl_union_map *umap2)",
  isl_union_map_intersect_params: "__isl_give isl_union_map * (__isl_take isl_union_map *umap, __isl_take isl_set *set)",
  isl_union_map_intersect_domain: "__isl_give isl_union_map * (__isl_take isl_union_map *umap, __isl_take isl_union_set *uset)",
  isl_union_map_intersect_range: "__isl_give isl_union_map * (__isl_take isl_union_map *umap, __isl_take isl_union_set *uset)",
  isl_union_map_subtract_domain: "__isl_give isl_union_map * (__isl_take isl_union_map *umap, __isl_take isl_union_set *dom)",
  isl_union_map_subtract_range: "__isl_give isl_union_map * (__isl_take isl_union_map *umap, __isl_take isl_union_set *dom)",
  isl_union_map_apply_range: "__isl_give isl_union_map * (__isl_take isl_union_map *umap1, __isl_take isl_union_map *umap2)",
  isl_union_map_apply_domain: "__isl_give isl_union_map * (__isl_take isl_union_map *umap1, __isl_take isl_union_map *umap2)",
  isl_union_map_reverse: "__isl_give isl_union_map * (__isl_take isl_union_map *umap)",
  isl_union_map_domain: "__isl_give isl_union_set * (__isl_take isl_union_map *umap)",
  isl_union_map_range: "__isl_give isl_union_set * (__isl_take isl_union_map *umap)",
  isl_union_map_deltas: "__isl_give isl_union_set * (__isl_take isl_union_map *umap)",
  isl_union_map_gist_domain: "__isl_give isl_union_map * (__isl_take isl_union_map *umap, __isl_take isl_union_set *uset)",
  isl_union_map_gist_params: "__isl_give isl_union_map * (__isl_take isl_union_map *umap, __isl_take isl_set *set)",
  isl_union_map_is_empty: "isl_bool (__isl_keep isl_union_map *umap)",
  isl_union_map_is_subset: "isl_bool (__isl_keep isl_union_map *umap1, __isl_keep isl_union_map *umap2)",
  isl_union_map_is_equal: "isl_bool (__isl_keep isl_union_map *umap1, __isl_keep isl_union_map *umap2)",
  isl_union_map_is_injective: "isl_bool (__isl_keep isl_union_map *umap)",
  isl_union_map_is_single_valued: "isl_bool (__isl_keep isl_union_map *umap)",
  isl_union_map_is_bijective: "isl_bool (__isl_keep isl_union_map *umap)",
  isl_union_map_lexmin: "__isl_give isl_union_map * (__isl_take isl_union_map *umap)",
  isl_union_map_lexmax: "__isl_give isl_union_map * (__isl_take isl_union_map *umap)",
  isl_union_map_coalesce: "__isl_give isl_union_map * (__isl_take isl_union_map *umap)",
  isl_union_map_detect_equalities: "__isl_give isl_union_map * (__isl_take isl_union_map *umap)",
  isl_union_map_affine_hull: "__isl_give isl_union_map * (__isl_take isl_union_map *umap)",
  isl_union_map_params: "__isl_give isl_set * (__isl_take isl_union_map *umap)",
  isl_union_map_align_params: "__isl_give isl_union_map * (__isl_take isl_union_map *umap, __isl_take isl_space *model)",
  isl_union_map_project_out: "__isl_give isl_union_map * (__isl_take isl_union_map *umap, enum isl_dim_type type, unsigned first, unsigned n)",
  isl_union_map_n_map: "isl_size (__isl_keep isl_union_map *umap)",
  isl_union_map_foreach_map: "isl_stat (__isl_keep isl_union_map *umap, isl_map_cb *fn, void *user)",
  isl_union_map_from_map: "__isl_give isl_union_map * (__isl_take isl_map *map)",
  isl_union_map_extract_map: "__isl_give isl_map * (__isl_keep isl_union_map *umap, __isl_take isl_space *space)",
  isl_union_map_from_domain_and_range: "__isl_give isl_union_map * (__isl_take isl_union_set *domain, __isl_take isl_union_set *range)",
  isl_union_map_universe: "__isl_give isl_union_map * (__isl_take isl_union_map *umap)",
  isl_union_map_empty_ctx: "__isl_give isl_union_map * (isl_ctx *ctx)",
  isl_union_map_lex_lt_union_map: "__isl_give isl_union_map * (__isl_take isl_union_map *umap1, __isl_take isl_union_map *umap2)",
  isl_union_map_lex_le_union_map: "__isl_give isl_union_map * (__isl_take isl_union_map *umap1, __isl_take isl_union_map *umap2)",
  // affine functions
  isl_aff_read_from_str: "__isl_give isl_aff * (isl_ctx *ctx, const char *str)",
  isl_aff_copy: "__isl_give isl_aff * (__isl_keep isl_aff *aff)",
  isl_aff_free: "__isl_null isl_aff * (__isl_take isl_aff *aff)",
  isl_aff_to_str: "__isl_give char * (__isl_keep isl_aff *aff)",
  isl_pw_aff_read_from_str: "__isl_give isl_pw_aff * (isl_ctx *ctx, const char *str)",
  isl_pw_aff_copy: "__isl_give isl_pw_aff * (__isl_keep isl_pw_aff *pwaff)",
  isl_pw_aff_free: "__isl_null isl_pw_aff * (__isl_take isl_pw_aff *pwaff)",
  isl_pw_aff_to_str: "__isl_give char * (__isl_keep isl_pw_aff *pa)",
  isl_multi_aff_read_from_str: "__isl_give isl_multi_aff * (isl_ctx *ctx, const char *str)",
  isl_multi_aff_copy: "__isl_give isl_multi_aff * (__isl_keep isl_multi_aff *multi)",
  isl_multi_aff_free: "__isl_null isl_multi_aff * (__isl_take isl_multi_aff *multi)",
  isl_multi_aff_to_str: "__isl_give char * (__isl_keep isl_multi_aff *ma)",
  isl_pw_multi_aff_read_from_str: "__isl_give isl_pw_multi_aff * (isl_ctx *ctx, const char *str)",
  isl_pw_multi_aff_copy: "__isl_give isl_pw_multi_aff * (__isl_keep isl_pw_multi_aff *pma)",
  isl_pw_multi_aff_free: "__isl_null isl_pw_multi_aff * (__isl_take isl_pw_multi_aff *pma)",
  isl_pw_multi_aff_to_str: "__isl_give char * (__isl_keep isl_pw_multi_aff *pma)",
  isl_union_pw_multi_aff_read_from_str: "__isl_give isl_union_pw_multi_aff * (isl_ctx *ctx, const char *str)",
  isl_union_pw_multi_aff_copy: "__isl_give isl_union_pw_multi_aff * (__isl_keep isl_union_pw_multi_aff *upma)",
  isl_union_pw_multi_aff_free: "__isl_null isl_union_pw_multi_aff * (__isl_take isl_union_pw_multi_aff *upma)",
  isl_union_pw_multi_aff_to_str: "__isl_give char * (__isl_keep isl_union_pw_multi_aff *upma)",
  isl_multi_union_pw_aff_read_from_str: "__isl_give isl_multi_union_pw_aff * (isl_ctx *ctx, const char *str)",
  isl_multi_union_pw_aff_copy: "__isl_give isl_multi_union_pw_aff * (__isl_keep isl_multi_union_pw_aff *multi)",
  isl_multi_union_pw_aff_free: "__isl_null isl_multi_union_pw_aff * (__isl_take isl_multi_union_pw_aff *multi)",
  isl_multi_union_pw_aff_to_str: "__isl_give char * (__isl_keep isl_multi_union_pw_aff *mupa)",
  isl_multi_union_pw_aff_size: "isl_size (__isl_keep isl_multi_union_pw_aff *multi)",
  isl_union_pw_multi_aff_from_multi_union_pw_aff: "__isl_give isl_union_pw_multi_aff * (__isl_take isl_multi_union_pw_aff *mupa)",
  isl_union_map_from_multi_union_pw_aff: "__isl_give isl_union_map * (__isl_take isl_multi_union_pw_aff *mupa)",
  isl_union_map_from_union_pw_multi_aff: "__isl_give isl_union_map * (__isl_take isl_union_pw_multi_aff *upma)",
  // dataflow
  isl_union_access_info_from_sink: "__isl_give isl_union_access_info * (__isl_take isl_union_map *sink)",
  isl_union_access_info_copy: "__isl_give isl_union_access_info * (__isl_keep isl_union_access_info *access)",
  isl_union_access_info_free: "__isl_null isl_union_access_info * (__isl_take isl_union_access_info *access)",
  isl_union_access_info_to_str: "__isl_give char * (__isl_keep isl_union_access_info *access)",
  isl_union_access_info_set_must_source: "__isl_give isl_union_access_info * (__isl_take isl_union_access_info *access, __isl_take isl_union_map *must_source)",
  isl_union_access_info_set_may_source: "__isl_give isl_union_access_info * (__isl_take isl_union_access_info *access, __isl_take isl_union_map *may_source)",
  isl_union_access_info_set_kill: "__isl_give isl_union_access_info * (__isl_take isl_union_access_info *access, __isl_take isl_union_map *kill)",
  isl_union_access_info_set_schedule: "__isl_give isl_union_access_info * (__isl_take isl_union_access_info *access, __isl_take isl_schedule *schedule)",
  isl_union_access_info_set_schedule_map: "__isl_give isl_union_access_info * (__isl_take isl_union_access_info *access, __isl_take isl_union_map *schedule_map)",
  isl_union_access_info_compute_flow: "__isl_give isl_union_flow * (__isl_take isl_union_access_info *access)",
  isl_union_flow_copy: "__isl_give isl_union_flow * (__isl_keep isl_union_flow *flow)",
  isl_union_flow_free: "__isl_null isl_union_flow * (__isl_take isl_union_flow *flow)",
  isl_union_flow_to_str: "__isl_give char * (__isl_keep isl_union_flow *flow)",
  isl_union_flow_get_must_dependence: "__isl_give isl_union_map * (__isl_keep isl_union_flow *flow)",
  isl_union_flow_get_may_dependence: "__isl_give isl_union_map * (__isl_keep isl_union_flow *flow)",
  isl_union_flow_get_full_must_dependence: "__isl_give isl_union_map * (__isl_keep isl_union_flow *flow)",
  isl_union_flow_get_full_may_dependence: "__isl_give isl_union_map * (__isl_keep isl_union_flow *flow)",
  isl_union_flow_get_must_no_source: "__isl_give isl_union_map * (__isl_keep isl_union_flow *flow)",
  isl_union_flow_get_may_no_source: "__isl_give isl_union_map * (__isl_keep isl_union_flow *flow)",
  // scheduling
  isl_schedule_constraints_read_from_str: "__isl_give isl_schedule_constraints * (isl_ctx *ctx, const char *str)",
  isl_schedule_constraints_copy: "__isl_give isl_schedule_constraints * (__isl_keep isl_schedule_constraints *sc)",
  isl_schedule_constraints_free: "__isl_null isl_schedule_constraints * (__isl_take isl_schedule_constraints *sc)",
  isl_schedule_constraints_to_str: "__isl_give char * (__isl_keep isl_schedule_constraints *sc)",
  isl_schedule_constraints_on_domain: "__isl_give isl_schedule_constraints * (__isl_take isl_union_set *domain)",
  isl_schedule_constraints_set_context: "__isl_give isl_schedule_constraints * (__isl_take isl_schedule_constraints *sc, __isl_take isl_set *context)",
  isl_schedule_constraints_set_validity: "__isl_give isl_schedule_constraints * (__isl_take isl_schedule_constraints *sc, __isl_take isl_union_map *validity)",
  isl_schedule_constraints_set_coincidence: "__isl_give isl_schedule_constraints * (__isl_take isl_schedule_constraints *sc, __isl_take isl_union_map *coincidence)",
  isl_schedule_constraints_set_proximity: "__isl_give isl_schedule_constraints * (__isl_take isl_schedule_constraints *sc, __isl_take isl_union_map *proximity)",
  isl_schedule_constraints_set_conditional_validity: "__isl_give isl_schedule_constraints * (__isl_take isl_schedule_constraints *sc, __isl_take isl_union_map *condition, __isl_take isl_union_map *validity)",
  isl_schedule_constraints_get_domain: "__isl_give isl_union_set * (__isl_keep isl_schedule_constraints *sc)",
  isl_schedule_constraints_get_validity: "__isl_give isl_union_map * (__isl_keep isl_schedule_constraints *sc)",
  isl_schedule_constraints_get_coincidence: "__isl_give isl_union_map * (__isl_keep isl_schedule_constraints *sc)",
  isl_schedule_constraints_get_proximity: "__isl_give isl_union_map * (__isl_keep isl_schedule_constraints *sc)",
  isl_schedule_constraints_compute_schedule: "__isl_give isl_schedule * (__isl_take isl_schedule_constraints *sc)",
  isl_schedule_read_from_str: "__isl_give isl_schedule * (isl_ctx *ctx, const char *str)",
  isl_schedule_copy: "__isl_give isl_schedule * (__isl_keep isl_schedule *sched)",
  isl_schedule_free: "__isl_null isl_schedule * (__isl_take isl_schedule *sched)",
  isl_schedule_to_str: "__isl_give char * (__isl_keep isl_schedule *schedule)",
  isl_schedule_get_root: "__isl_give isl_schedule_node * (__isl_keep isl_schedule *schedule)",
  isl_schedule_get_domain: "__isl_give isl_union_set * (__isl_keep isl_schedule *schedule)",
  isl_schedule_get_map: "__isl_give isl_union_map * (__isl_keep isl_schedule *sched)",
  isl_schedule_from_domain: "__isl_give isl_schedule * (__isl_take isl_union_set *domain)",
  isl_schedule_plain_is_equal: "isl_bool (__isl_keep isl_schedule *schedule1, __isl_keep isl_schedule *schedule2)",
  // schedule tree
  isl_schedule_node_copy: "__isl_give isl_schedule_node * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_free: "__isl_null isl_schedule_node * (__isl_take isl_schedule_node *node)",
  isl_schedule_node_to_str: "__isl_give char * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_get_type: "enum isl_schedule_node_type (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_n_children: "isl_size (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_get_child: "__isl_give isl_schedule_node * (__isl_keep isl_schedule_node *node, int pos)",
  isl_schedule_node_has_parent: "isl_bool (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_parent: "__isl_give isl_schedule_node * (__isl_take isl_schedule_node *node)",
  isl_schedule_node_root: "__isl_give isl_schedule_node * (__isl_take isl_schedule_node *node)",
  isl_schedule_node_get_schedule: "__isl_give isl_schedule * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_get_tree_depth: "isl_size (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_get_schedule_depth: "isl_size (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_get_domain: "__isl_give isl_union_set * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_get_prefix_schedule_union_map: "__isl_give isl_union_map * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_band_n_member: "isl_size (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_band_get_permutable: "isl_bool (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_band_set_permutable: "__isl_give isl_schedule_node * (__isl_take isl_schedule_node *node, int permutable)",
  isl_schedule_node_band_member_get_coincident: "isl_bool (__isl_keep isl_schedule_node *node, int pos)",
  isl_schedule_node_band_member_set_coincident: "__isl_give isl_schedule_node * (__isl_take isl_schedule_node *node, int pos, int coincident)",
  isl_schedule_node_band_get_partial_schedule: "__isl_give isl_multi_union_pw_aff * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_band_get_partial_schedule_union_map: "__isl_give isl_union_map * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_band_member_set_ast_loop_type: "__isl_give isl_schedule_node * (__isl_take isl_schedule_node *node, int pos, enum isl_ast_loop_type type)",
  isl_schedule_node_band_tile: "__isl_give isl_schedule_node * (__isl_take isl_schedule_node *node, __isl_take isl_multi_val *sizes)",
  isl_schedule_node_band_split: "__isl_give isl_schedule_node * (__isl_take isl_schedule_node *node, int pos)",
  isl_schedule_node_filter_get_filter: "__isl_give isl_union_set * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_domain_get_domain: "__isl_give isl_union_set * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_context_get_context: "__isl_give isl_set * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_guard_get_guard: "__isl_give isl_set * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_mark_get_id: "__isl_give isl_id * (__isl_keep isl_schedule_node *node)",
  isl_schedule_node_insert_mark: "__isl_give isl_schedule_node * (__isl_take isl_schedule_node *node, __isl_take isl_id *mark)",
  // ast build
  isl_ast_build_from_context: "__isl_give isl_ast_build * (__isl_take isl_set *set)",
  isl_ast_build_copy: "__isl_give isl_ast_build * (__isl_keep isl_ast_build *build)",
  isl_ast_build_free: "__isl_null isl_ast_build * (__isl_take isl_ast_build *build)",
  isl_ast_build_node_from_schedule: "__isl_give isl_ast_node * (__isl_keep isl_ast_build *build, __isl_take isl_schedule *schedule)",
  isl_ast_build_node_from_schedule_map: "__isl_give isl_ast_node * (__isl_keep isl_ast_build *build, __isl_take isl_union_map *schedule)",
  isl_ast_build_set_before_each_for: "__isl_give isl_ast_build * (__isl_take isl_ast_build *build, isl_before_each_for_cb *fn, void *user)",
  isl_ast_build_set_after_each_for: "__isl_give isl_ast_build * (__isl_take isl_ast_build *build, isl_ast_node_cb *fn, void *user)",
  isl_ast_build_set_at_each_domain: "__isl_give isl_ast_build * (__isl_take isl_ast_build *build, isl_ast_node_cb *fn, void *user)",
  isl_ast_build_get_schedule: "__isl_give isl_union_map * (__isl_keep isl_ast_build *build)",
  isl_ast_build_expr_from_pw_aff: "__isl_give isl_ast_expr * (__isl_keep isl_ast_build *build, __isl_take isl_pw_aff *pa)",
  isl_ast_build_call_from_pw_multi_aff: "__isl_give isl_ast_expr * (__isl_keep isl_ast_build *build, __isl_take isl_pw_multi_aff *pma)",
  isl_ast_build_access_from_pw_multi_aff: "__isl_give isl_ast_expr * (__isl_keep isl_ast_build *build, __isl_take isl_pw_multi_aff *pma)",
  // ast node
  isl_ast_node_copy: "__isl_give isl_ast_node * (__isl_keep isl_ast_node *node)",
  isl_ast_node_free: "__isl_null isl_ast_node * (__isl_take isl_ast_node *node)",
  isl_ast_node_to_str: "__isl_give char * (__isl_keep isl_ast_node *node)",
  isl_ast_node_to_C_str: "__isl_give char * (__isl_keep isl_ast_node *node)",
  isl_ast_node_get_type: "enum isl_ast_node_type (__isl_keep isl_ast_node *node)",
  isl_ast_node_get_annotation: "__isl_give isl_id * (__isl_keep isl_ast_node *node)",
  isl_ast_node_set_annotation: "__isl_give isl_ast_node * (__isl_take isl_ast_node *node, __isl_take isl_id *annotation)",
  isl_ast_node_for_get_iterator: "__isl_give isl_ast_expr * (__isl_keep isl_ast_node *node)",
  isl_ast_node_for_get_init: "__isl_give isl_ast_expr * (__isl_keep isl_ast_node *node)",
  isl_ast_node_for_get_cond: "__isl_give isl_ast_expr * (__isl_keep isl_ast_node *node)",
  isl_ast_node_for_get_inc: "__isl_give isl_ast_expr * (__isl_keep isl_ast_node *node)",
  isl_ast_node_for_get_body: "__isl_give isl_ast_node * (__isl_keep isl_ast_node *node)",
  isl_ast_node_for_is_degenerate: "isl_bool (__isl_keep isl_ast_node *node)",
  isl_ast_node_if_get_cond: "__isl_give isl_ast_expr * (__isl_keep isl_ast_node *node)",
  isl_ast_node_if_get_then_node: "__isl_give isl_ast_node * (__isl_keep isl_ast_node *node)",
  isl_ast_node_if_has_else_node: "isl_bool (__isl_keep isl_ast_node *node)",
  isl_ast_node_if_get_else_node: "__isl_give isl_ast_node * (__isl_keep isl_ast_node *node)",
  isl_ast_node_block_get_children: "__isl_give isl_ast_node_list * (__isl_keep isl_ast_node *node)",
  isl_ast_node_mark_get_id: "__isl_give isl_id * (__isl_keep isl_ast_node *node)",
  isl_ast_node_mark_get_node: "__isl_give isl_ast_node * (__isl_keep isl_ast_node *node)",
  isl_ast_node_user_get_expr: "__isl_give isl_ast_expr * (__isl_keep isl_ast_node *node)",
  isl_ast_node_list_copy: "__isl_give isl_ast_node_list * (__isl_keep isl_ast_node_list *list)",
  isl_ast_node_list_free: "__isl_null isl_ast_node_list * (__isl_take isl_ast_node_list *list)",
  isl_ast_node_list_to_str: "__isl_give char * (__isl_keep isl_ast_node_list *list)",
  isl_ast_node_list_size: "isl_size (__isl_keep isl_ast_node_list *list)",
  isl_ast_node_list_get_at: "__isl_give isl_ast_node * (__isl_keep isl_ast_node_list *list, int index)",
  // ast expr
  isl_ast_expr_copy: "__isl_give isl_ast_expr * (__isl_keep isl_ast_expr *expr)",
  isl_ast_expr_free: "__isl_null isl_ast_expr * (__isl_take isl_ast_expr *expr)",
  isl_ast_expr_to_str: "__isl_give char * (__isl_keep isl_ast_expr *expr)",
  isl_ast_expr_to_C_str: "__isl_give char * (__isl_keep isl_ast_expr *expr)",
  isl_ast_expr_get_type: "enum isl_ast_expr_type (__isl_keep isl_ast_expr *expr)",
  isl_ast_expr_op_get_type: "enum isl_ast_expr_op_type (__isl_keep isl_ast_expr *expr)",
  isl_ast_expr_op_get_n_arg: "isl_size (__isl_keep isl_ast_expr *expr)",
  isl_ast_expr_op_get_arg: "__isl_give isl_ast_expr * (__isl_keep isl_ast_expr *expr, int pos)",
  isl_ast_expr_id_get_id: "__isl_give isl_id * (__isl_keep isl_ast_expr *expr)",
  isl_ast_expr_int_get_val: "__isl_give isl_val * (__isl_keep isl_ast_expr *expr)",
} as const;

export type IslFnName = keyof typeof PROTOTYPES;

/**
 * Callback types used in PROTOTYPES. Pointers are passed as plain `void *` (koffi 3
 * hands them to JS as bigint, or null), so one signature serves every element type.
 */
const CALLBACKS = {
  // isl_stat (*fn)(__isl_take isl_set *set, void *user) and friends (foreach).
  isl_set_cb: "int isl_set_cb(void *el, void *user)",
  isl_map_cb: "int isl_map_cb(void *el, void *user)",
  // __isl_give isl_id *(*fn)(__isl_keep isl_ast_build *build, void *user)
  isl_before_each_for_cb: "void *isl_before_each_for_cb(void *build, void *user)",
  // __isl_give isl_ast_node *(*fn)(__isl_take isl_ast_node *node, __isl_keep isl_ast_build *build, void *user)
  isl_ast_node_cb: "void *isl_ast_node_cb(void *node, void *build, void *user)",
} as const;

export type IslCallbackName = keyof typeof CALLBACKS;

/**
 * Scalar options set per isl_ctx with isl_options_set_<name>(isl_ctx *, int) and read
 * with isl_options_get_<name>(isl_ctx *). They share one prototype, so only names are listed.
 */
export const OPTION_NAMES = [
  "on_error",
  "schedule_max_coefficient",
  "schedule_max_constant_term",
  "schedule_maximize_band_depth",
  "schedule_maximize_coincidence",
  "schedule_outer_coincidence",
  "schedule_split_scaled",
  "schedule_treat_coalescing",
  "schedule_separate_components",
  "schedule_serialize_sccs",
  "schedule_whole_component",
  "schedule_carry_self_first",
  "schedule_algorithm",
  "ast_build_atomic_upper_bound",
  "ast_build_prefer_pdiv",
  "ast_build_detect_min_max",
  "ast_build_exploit_nested_bounds",
  "ast_build_group_coscheduled",
  "ast_build_separation_bounds",
  "ast_build_scale_strides",
  "ast_build_allow_else",
  "ast_build_allow_or",
  "coalesce_bounded_wrapping",
] as const;

export type OptionName = (typeof OPTION_NAMES)[number];

export const ISL_ON_ERROR_WARN = 0;
export const ISL_ON_ERROR_CONTINUE = 1;

/** What a return value means, decided from its C type and annotation. */
export type RetKind =
  | "obj" // __isl_give isl_X *: a new reference we own (NULL = error)
  | "null" // __isl_null isl_X * (free functions): always NULL
  | "str" // __isl_give char *: malloc'ed by isl, we must free() it
  | "cstr" // const char *: borrowed, never freed
  | "bool" // isl_bool: -1 error, 0 false, 1 true
  | "stat" // isl_stat: -1 error, 0 ok
  | "size" // isl_size: -1 error, else a count
  | "enum" // enum isl_*: -1 error (except isl_error, which never is negative)
  | "ptr" // untyped pointer (void *, isl_ctx *)
  | "num" // int, long, unsigned long
  | "void";

export interface ParamInfo {
  /** "isl_set", "isl_ctx", ... for isl object pointers; null for scalars/strings/callbacks. */
  readonly islType: string | null;
  /** true for __isl_take: isl consumes the reference. */
  readonly take: boolean;
}

export interface FnInfo {
  readonly name: IslFnName;
  readonly call: KoffiFn;
  readonly ret: RetKind;
  /** isl type of an "obj" return, e.g. "isl_union_map". */
  readonly retType: string | null;
  readonly params: readonly ParamInfo[];
}

let islLib: ReturnType<typeof koffi.load> | null = null;
let freeFn: KoffiFn | null = null;
const bound = new Map<string, FnInfo>();
const cbTypes = new Map<string, ReturnType<typeof koffi.proto>>();

function loadIsl(): ReturnType<typeof koffi.load> {
  if (islLib) return islLib;
  const errors: string[] = [];
  for (const path of ISL_CANDIDATES) {
    try {
      islLib = koffi.load(path);
      break;
    } catch (e) {
      errors.push(`${path}: ${(e as Error).message}`);
    }
  }
  if (!islLib) throw new Error(`cannot load isl (libisl.so.23): ${errors.join("; ")}`);
  for (const [name, proto] of Object.entries(CALLBACKS)) {
    cbTypes.set(name, koffi.proto(proto));
  }
  return islLib;
}

/** Callback prototype for koffi.register (pointer-to-proto type). */
export function callbackType(name: IslCallbackName): ReturnType<typeof koffi.pointer> {
  loadIsl();
  const t = cbTypes.get(name);
  if (!t) throw new Error(`unknown callback type ${name}`);
  return koffi.pointer(t);
}

/** libc free(), for __isl_give char * results. */
export function libcFree(ptr: unknown): void {
  if (!freeFn) freeFn = koffi.load("libc.so.6").func("void free(void *ptr)");
  freeFn(ptr);
}

const ANNOTATION = /__isl_(give|take|keep|null)\s*/g;

/** Strip annotations and `struct`, map isl pointers to void * and enums/isl_bool/... to int. */
function cType(t: string): string {
  const s = t.replace(ANNOTATION, "").replace(/\bstruct\s+/g, "").trim();
  if (/^enum\s+\w+$/.test(s) || /^isl_(bool|stat|size)$/.test(s)) return "int";
  const m = /^(\w+)\s*\*$/.exec(s);
  if (m && m[1].startsWith("isl_") && !m[1].endsWith("_cb")) return "void *";
  if (s === "unsigned") return "unsigned int";
  return s;
}

function islPointerType(t: string): string | null {
  const s = t.replace(ANNOTATION, "").replace(/\bstruct\s+/g, "").trim();
  const m = /^(isl_\w+)\s*\*$/.exec(s);
  return m && !m[1].endsWith("_cb") ? m[1] : null;
}

function retKind(t: string): { kind: RetKind; type: string | null } {
  const give = t.includes("__isl_give");
  const s = t.replace(ANNOTATION, "").trim();
  if (t.includes("__isl_null")) return { kind: "null", type: null };
  if (s === "void") return { kind: "void", type: null };
  if (s === "char *") return { kind: give ? "str" : "cstr", type: null };
  if (s === "const char *") return { kind: "cstr", type: null };
  if (s === "isl_bool") return { kind: "bool", type: null };
  if (s === "isl_stat") return { kind: "stat", type: null };
  if (s === "isl_size") return { kind: "size", type: null };
  if (s.startsWith("enum ")) return { kind: "enum", type: null };
  const isl = islPointerType(s);
  if (isl && give) return { kind: "obj", type: isl };
  if (isl || s === "void *") return { kind: "ptr", type: null };
  return { kind: "num", type: null };
}

function parseParams(params: string): { c: string[]; info: ParamInfo[] } {
  if (params.trim() === "void" || params.trim() === "") return { c: [], info: [] };
  const c: string[] = [];
  const info: ParamInfo[] = [];
  for (const raw of params.split(",")) {
    // "__isl_take isl_set *set1" -> type "__isl_take isl_set *", name "set1"
    const m = /^(.*?)\s*(\w+)$/.exec(raw.trim());
    if (!m) throw new Error(`cannot parse parameter "${raw}"`);
    const type = m[1];
    c.push(cType(type));
    info.push({ islType: islPointerType(type), take: type.includes("__isl_take") });
  }
  return { c, info };
}

/** Bind (once) and describe one isl function. Throws if the symbol is missing. */
export function islFn(name: IslFnName): FnInfo {
  const hit = bound.get(name);
  if (hit) return hit;
  const lib = loadIsl();
  const proto: string = PROTOTYPES[name];
  const open = proto.indexOf("(");
  const retText = proto.slice(0, open).trim();
  const paramText = proto.slice(open + 1, proto.lastIndexOf(")"));
  const { kind, type } = retKind(retText);
  const { c, info } = parseParams(paramText);
  let retC = cType(retText);
  if (kind === "str") retC = "void *"; // keep the pointer so we can free() it
  const call = lib.func(name, retC, c);
  const fn: FnInfo = { name, call, ret: kind, retType: type, params: info };
  bound.set(name, fn);
  return fn;
}

/** Every declared name; a test binds them all to catch typos and missing symbols. */
export function declaredFunctions(): IslFnName[] {
  return Object.keys(PROTOTYPES) as IslFnName[];
}

export function hasFunction(name: string): name is IslFnName {
  return Object.prototype.hasOwnProperty.call(PROTOTYPES, name);
}

const optionFns = new Map<string, { set: KoffiFn; get: KoffiFn }>();

/** isl_options_set_<name> / isl_options_get_<name>, both taking the raw ctx pointer. */
export function optionFn(name: OptionName): { set: KoffiFn; get: KoffiFn } {
  const hit = optionFns.get(name);
  if (hit) return hit;
  const lib = loadIsl();
  const fns = {
    set: lib.func(`isl_options_set_${name}`, "int", ["void *", "int"]),
    get: lib.func(`isl_options_get_${name}`, "int", ["void *"]),
  };
  optionFns.set(name, fns);
  return fns;
}
