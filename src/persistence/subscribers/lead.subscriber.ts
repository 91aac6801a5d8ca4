import { EventSubscriber, type EntitySubscriberInterface, type InsertEvent, type RemoveEvent, type UpdateEvent } from "typeorm";
import type { EmailStatusService, PendingWrite } from "../../domain/email-status.service";
import { InvalidWriteError } from "../../domain/errors";
import type { Lead, WriteIntent } from "../../domain/types";
import { LeadEntity } from "../entities/lead.entity";
import { createRepositories } from "../repositories/create-repositories";

/**
 * Makes every lead write run the durable-unsubscribe rules in the write's own transaction.
 * It only translates TypeORM events into calls of EmailStatusService, with repositories bound
 * to event.manager (the transaction's manager, never the global one).
 *
 * TypeORM builds subscribers with a zero-argument constructor, so the service is closed over
 * by a class made per DataSource.
 */
export function createLeadSubscriber(rules: EmailStatusService): new () => EntitySubscriberInterface<LeadEntity> {
  const pendingCreates = new WeakMap<object, PendingWrite>();

  @EventSubscriber()
  class LeadSubscriber implements EntitySubscriberInterface<LeadEntity> {
    listenTo(): typeof LeadEntity {
      return LeadEntity;
    }

    async beforeInsert(event: InsertEvent<LeadEntity>): Promise<void> {
      const intent = intentOf(event.entity);
      pendingCreates.set(event.entity, await rules.beforeCreate(event.entity, intent, createRepositories(event.manager)));
    }

    async afterInsert(event: InsertEvent<LeadEntity>): Promise<void> {
      const pending = pendingCreates.get(event.entity);
      if (!pending) throw new InvalidWriteError("lead inserted without its rules having run");
      pendingCreates.delete(event.entity);
      await rules.afterCreate(event.entity, pending, intentOf(event.entity), createRepositories(event.manager));
    }

    /**
     * Everything for an update happens here, before the UPDATE: the lead's id is known, and if
     * the rules leave the row unchanged TypeORM skips the UPDATE (and afterUpdate) altogether.
     */
    async beforeUpdate(event: UpdateEvent<LeadEntity>): Promise<void> {
      const entity = event.entity as LeadEntity | undefined;
      const previous = event.databaseEntity as Lead | undefined;
      if (!entity || !previous || !(entity instanceof LeadEntity)) {
        throw new InvalidWriteError("lead updates must go through LeadRepository.save() so the unsubscribe rules see the old row");
      }
      const repos = createRepositories(event.manager);
      const intent = intentOf(entity);
      const pending = await rules.beforeUpdate(previous, entity, intent, repos);
      await rules.afterUpdate(entity, pending, intent, repos);
    }

    async beforeRemove(event: RemoveEvent<LeadEntity>): Promise<void> {
      const entity = (event.entity ?? event.databaseEntity) as LeadEntity | undefined;
      if (!entity) throw new InvalidWriteError("lead deletes must go through LeadRepository.remove()");
      await rules.afterRemove(entity, intentOf(entity), createRepositories(event.manager));
    }
  }
  return LeadSubscriber;
}

function intentOf(entity: unknown): WriteIntent {
  const intent = (entity as LeadEntity | undefined)?.writeIntent;
  if (!intent) throw new InvalidWriteError("a lead write must say its channel (LeadRepository.save with an intent)");
  return intent;
}
