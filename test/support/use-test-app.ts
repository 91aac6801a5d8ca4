/**
 * The usual life of a test file's app: started once, tables emptied before each test, the
 * invariant asserted after each test, stopped at the end.
 */
import { assertInvariant } from "./invariant";
import { LeadDriver } from "./lead-driver";
import { startTestApp, type TestApp } from "./test-app";

export function useTestApp(onStart: (app: TestApp, leads: LeadDriver) => void, env: Record<string, string> = {}): void {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp(env);
    onStart(app, new LeadDriver(app));
  });
  afterAll(async () => {
    await app?.stop();
  });
  beforeEach(async () => {
    await app?.reset();
  });
  afterEach(async () => {
    if (app) await assertInvariant(app.dataSource);
  });
}
