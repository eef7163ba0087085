/**
 * The binding against isl's installed headers (Debian libisl-dev): every compact declaration in
 * decls.ts must be the header's prototype, ownership annotations included, and the enum values the
 * binding keeps by hand must be isl's. A wrong __isl_take here would be a double free at run time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkDecls, headerDecls, headerEnums, headerMacros, preprocessedHeaders } from "../../scripts/isl_headers.js";
import { DECLS } from "../../src/poly/isl/decls.js";
import { ERROR_CODES } from "../../src/poly/isl/error.js";
import { DIM_TYPES } from "../../src/poly/isl/space.js";
import { EXPR_KINDS, NODE_KINDS, OP_TYPES } from "../../src/poly/isl/ast.js";
import { ISL_ON_ERROR_CONTINUE, ISL_ON_ERROR_WARN } from "../../src/poly/isl/lib.js";

const text = preprocessedHeaders();
const headers = headerDecls(text);

test("the headers parse into isl's API (a sanity check of the reader itself)", () => {
  assert.ok(headers.size > 3000, `only ${headers.size} functions read`);
  assert.equal(headers.get("isl_union_set_foreach_set"), "stat (union_set, [stat (set-, ptr)], ptr)");
  assert.equal(headers.get("isl_set_fix_si"), "set+ (set-, enum dim_type, unsigned, int)");
  // expanded from ISL_DECLARE_LIST_FN(ast_node) in list.h
  assert.equal(headers.get("isl_ast_node_list_get_at"), "ast_node+ (ast_node_list, int)");
});

test("every declaration in decls.ts is the installed header's prototype", () => {
  assert.deepEqual(checkDecls(DECLS, headers), []);
});

test("a wrong ownership annotation or an unknown name fails the check", () => {
  const wrong = { ...DECLS, isl_set_union: "set+ (set, set-)", isl_map_reverse: "map+ (map)", isl_set_nope: "void ()" };
  assert.deepEqual(checkDecls(wrong, headers), [
    `isl_set_union: decls.ts says "set+ (set, set-)", the header "set+ (set-, set-)"`,
    `isl_map_reverse: decls.ts says "map+ (map)", the header "map+ (map-)"`,
    "isl_set_nope: not declared in /usr/include/isl",
  ]);
});

test("the enum values the binding keeps by hand are isl's", () => {
  const enums = headerEnums(text);
  const value = (name: string): number | undefined => enums.get(name);
  ERROR_CODES.forEach((c, i) => assert.equal(value(`isl_error_${c}`), i, c));
  for (const [t, v] of Object.entries(DIM_TYPES)) assert.equal(value(`isl_dim_${t}`), v, t);
  for (const [v, k] of Object.entries(NODE_KINDS)) assert.equal(value(`isl_ast_node_${k}`), Number(v), k);
  EXPR_KINDS.forEach((k, i) => assert.equal(value(`isl_ast_expr_${k}`), i, k));
  OP_TYPES.forEach((op, i) => assert.equal(value(`isl_ast_expr_op_${op}`), i, op));
  const macros = headerMacros();
  assert.equal(macros.get("ISL_ON_ERROR_WARN"), ISL_ON_ERROR_WARN);
  assert.equal(macros.get("ISL_ON_ERROR_CONTINUE"), ISL_ON_ERROR_CONTINUE);
});
