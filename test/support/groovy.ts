/** Debian's Groovy (the 2.4 line SoapUI 5.x bundles), for the SoapUI signing scripts. */
import { execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";

/** Debian's groovy needs JAVA_HOME when default-java is not installed. */
export function groovyEnv(): NodeJS.ProcessEnv {
  if (process.env.JAVA_HOME || existsSync("/usr/lib/jvm/default-java")) return process.env;
  try {
    const java = execFileSync("sh", ["-c", "command -v java"], { encoding: "utf8" }).trim();
    return { ...process.env, JAVA_HOME: path.dirname(path.dirname(realpathSync(java))) };
  } catch {
    return process.env;
  }
}

export function groovyAvailable(): boolean {
  try {
    execFileSync("groovy", ["--version"], { stdio: "ignore", timeout: 60_000, env: groovyEnv() });
    return true;
  } catch {
    return false;
  }
}

/** test/soapui/run-script.groovy: runs a SoapUI script outside SoapUI with a stand-in project. */
export const GROOVY_RUNNER = path.join(__dirname, "..", "soapui", "run-script.groovy");
