/** What an API user may touch: its workspaces (all when absent) and whether it may re-subscribe. */
import type { Repositories } from "./ports";

export interface CallerScope {
  readonly workspaces?: string[];
  readonly mayResubscribe?: boolean;
}

/** The primary partitions of the caller's workspaces; undefined when it may use them all. */
export async function partitionsOf(caller: CallerScope | undefined, repos: Repositories): Promise<number[] | undefined> {
  if (!caller?.workspaces) return undefined;
  const ids: number[] = [];
  for (const w of caller.workspaces) {
    const id = await repos.partitions.primaryPartitionOfWorkspace(w);
    if (id !== null) ids.push(id);
  }
  return ids;
}
