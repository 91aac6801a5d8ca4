// Lint with zero warnings (npm run lint). The layer rule of STYLE.md is enforced here:
// soap → domain → persistence, and nothing points the other way.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "scratch/", "data/", "coverage/", "**/*.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["typeorm", "soap", "express", "pg", "**/persistence/**", "**/soap/**", "**/admin/**"], message: "src/domain may not depend on transport or persistence (STYLE.md layer rule)" }] },
      ],
    },
  },
  {
    files: ["src/soap/**/*.ts", "src/admin/**/*.ts", "src/web/**/*.ts", "src/sfdc/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["typeorm", "pg", "**/persistence/**"], message: "src/soap, src/admin, src/web and src/sfdc talk to domain services, not to persistence (STYLE.md layer rule)" }] },
      ],
    },
  },
);
