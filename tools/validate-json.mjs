// Validates JSON documents against a JSON Schema (draft 2020-12) with ajv.
// usage: node tools/validate-json.mjs SCHEMA FILE...
// Prints "ok FILE" or every error with its JSON path; exit 0 all valid, 1 any invalid,
// 2 usage or schema errors (so a caller can tell "rejected" from "could not run").
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

function main(argv) {
  if (argv.length < 2) {
    console.error("usage: validate-json.mjs SCHEMA FILE...");
    return 2;
  }
  const [schemaPath, ...files] = argv;
  let validate;
  try {
    // strict: unknown keywords or ambiguous types in the schema are errors, not silence;
    // union types ("type": ["string", "null"]) are plain JSON Schema, so allowed.
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    validate = ajv.compile(readJson(schemaPath));
  } catch (e) {
    console.error(`validate-json: error: schema '${schemaPath}': ${e.message}`);
    return 2;
  }
  let failed = false;
  for (const file of files) {
    let doc;
    try {
      doc = readJson(file);
    } catch (e) {
      console.error(`${file}: cannot read JSON: ${e.message}`);
      failed = true;
      continue;
    }
    if (validate(doc)) {
      console.log(`ok ${file}`);
      continue;
    }
    failed = true;
    for (const err of validate.errors) {
      const where = err.instancePath === "" ? "/" : err.instancePath;
      const extra = err.params && err.params.additionalProperty !== undefined
        ? ` '${err.params.additionalProperty}'`
        : err.params && err.params.allowedValues !== undefined
          ? ` ${JSON.stringify(err.params.allowedValues)}`
          : "";
      console.error(`${file}: ${where}: ${err.message}${extra} (${err.schemaPath})`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
