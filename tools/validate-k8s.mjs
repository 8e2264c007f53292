// Validates Kubernetes manifests against the Kubernetes OpenAPI schemas, through the
// kubernetes-models package (npm; its validators are generated from those schemas).
//
//   node tools/validate-k8s.mjs FILE...
//
// Every YAML document of every file must be an object with apiVersion and kind that the
// package knows, and must pass its schema. Prints "ok FILE: N objects (kinds)" per file; on
// the first problem of a file prints "FILE: document N (Kind/name): what is wrong" and the
// exit status is 1. The package checks types, required fields and enums; like kubectl's
// client-side validation of old, it does not refuse unknown fields, which the C tests check
// by reading the manifests back.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

async function modelClass(apiVersion, kind) {
  // Core objects live in kubernetes-models/v1, the others in kubernetes-models/GROUP/VERSION.
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion)) return null;
  try {
    const mod = await import(`kubernetes-models/${apiVersion}`);
    return mod[kind] ?? null;
  } catch {
    return null;
  }
}

async function validateDoc(doc, where) {
  const obj = doc.toJS();
  if (obj === null || typeof obj !== "object" || Array.isArray(obj))
    return `${where}: not an object`;
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== "string" || typeof kind !== "string")
    return `${where}: no apiVersion and kind`;
  const name = obj.metadata?.name ?? "?";
  const Model = await modelClass(apiVersion, kind);
  if (Model === null) return `${where} (${kind}/${name}): unknown kind ${apiVersion} ${kind}`;
  try {
    new Model(obj).validate();
  } catch (e) {
    return `${where} (${kind}/${name}): ${e.message}`;
  }
  return null;
}

async function validateFile(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { error: `${path}: ${e.message}` };
  }
  const docs = parseAllDocuments(text);
  const kinds = [];
  for (const [i, doc] of docs.entries()) {
    const where = `${path}: document ${i + 1}`;
    if (doc.errors.length > 0) return { error: `${where}: ${doc.errors[0].message}` };
    const problem = await validateDoc(doc, where);
    if (problem !== null) return { error: problem };
    kinds.push(doc.toJS().kind);
  }
  if (kinds.length === 0) return { error: `${path}: no document` };
  return { kinds };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/validate-k8s.mjs FILE...");
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  const r = await validateFile(f);
  if (r.error) {
    console.error(r.error);
    failed++;
  } else {
    console.log(`ok ${f}: ${r.kinds.length} objects (${r.kinds.join(", ")})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
