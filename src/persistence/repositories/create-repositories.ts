import type { EntityManager } from "typeorm";
import type { Repositories } from "../../domain/ports";
import { SqlActivityRepository } from "./activity.repository";
import { SqlCampaignRepository, SqlFieldRepository } from "./catalogue.repository";
import { SqlListRepository } from "./list.repository";
import { SqlChangeRepository, SqlLeadPageRepository } from "./stream.repository";
import { SqlEmailStatusRepository } from "./email-status.repository";
import { TypeOrmLeadRepository } from "./lead.repository";
import { SqlPartitionRepository } from "./partition.repository";
import { SqlSfdcRecordRepository } from "./sfdc-record.repository";
import { SqlWriteStore } from "./write.repository";

/** Repositories bound to one EntityManager, i.e. to one transaction (STYLE habit 4). */
export function createRepositories(manager: EntityManager): Repositories {
  return {
    writes: new SqlWriteStore(manager),
    leads: new TypeOrmLeadRepository(manager),
    leadPages: new SqlLeadPageRepository(manager),
    changes: new SqlChangeRepository(manager),
    lists: new SqlListRepository(manager),
    fields: new SqlFieldRepository(manager),
    campaigns: new SqlCampaignRepository(manager),
    emailStatuses: new SqlEmailStatusRepository(manager),
    activities: new SqlActivityRepository(manager),
    partitions: new SqlPartitionRepository(manager),
    sfdcRecords: new SqlSfdcRecordRepository(manager),
    nested: (work) => manager.transaction((inner) => work(createRepositories(inner))),
    afterCommit: (effect) => {
      // The transaction runner puts the queue on the query runner; outside it (no queue) the
      // effect is dropped rather than run before a commit that may not happen.
      (manager.queryRunner?.data as { afterCommit?: (() => void)[] } | undefined)?.afterCommit?.push(effect);
    },
  };
}
