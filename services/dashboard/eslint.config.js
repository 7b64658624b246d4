// The dashboard's lint rules: Vite's React template (typescript-eslint's recommended set,
// React hooks with the compiler-era rules, react-refresh); tsc --noEmit checks the types.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import reactRefresh from "eslint-plugin-react-refresh";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "node_modules"] },
  {
    files: ["**/*.{ts,tsx}"],
    extends: [
      js.configs.recommended,
      ...tseslint.configs.recommended,
      reactHooks.configs.flat.recommended,
      reactRefresh.configs.vite,
    ],
    languageOptions: {
      ecmaVersion: 2022,
      globals: globals.browser,
    },
    rules: {
      // Vite's template's setting: a shared constant beside a component only costs a full
      // reload instead of a hot update in development.
      "react-refresh/only-export-components": ["warn", { allowConstantExport: true }],
    },
  },
);
