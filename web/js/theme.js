// Light and dark looks. By default the editor follows the system (`prefers-color-scheme`,
// handled in theme.css); the setting "light" or "dark" overrides it and is kept in
// localStorage. The theme is an attribute on <html>: data-theme="light" | "dark" (absent:
// follow the system).

const KEY = "flowred.theme";

/** The saved setting: "system", "light" or "dark". */
export function themeSetting() {
  try {
    const value = localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

/** Apply (and save) a setting: "system", "light" or "dark". */
export function setTheme(setting) {
  const root = document.documentElement;
  if (setting === "light" || setting === "dark") root.dataset.theme = setting;
  else delete root.dataset.theme;
  try {
    if (setting === "light" || setting === "dark") localStorage.setItem(KEY, setting);
    else localStorage.removeItem(KEY);
  } catch { /* storage unavailable */ }
}

/** The theme in effect: "light" or "dark". */
export function effectiveTheme() {
  const setting = themeSetting();
  if (setting !== "system") return setting;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

setTheme(themeSetting());
