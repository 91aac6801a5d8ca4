import { EventSubscriber, type EntitySubscriberInterface, type InsertEvent, type RemoveEvent, type UpdateEvent } from "typeorm";
import type { EmailHasher } from "../../domain/email";
import { InvalidWriteError } from "../../domain/errors";
import type { Lead } from "../../domain/types";
import { checkLeadRow } from "../../domain/write-plan";
import { LeadEntity } from "../entities/lead.entity";
import { leadWriteContextOf } from "../repositories/write.repository";

/**
 * Sees every lead entity write and checks it against its plan (STYLE habit 6), before any SQL:
 * the rules ran in LeadWriteService; here a write with no plan, a row the plan did not decide,
 * or a flag that disagrees with the decided status of its address is refused. The plan comes
 * with the query runner's data (LeadWriteContext), never on the entity. The deferred guard
 * triggers stay the last line at COMMIT.
 *
 * The apply step writes lead rows as INSERT … ON CONFLICT (id) DO UPDATE (one statement for a
 * set), so every written row reaches beforeInsert with its values. save() and update() of a lead
 * reach beforeUpdate: nothing writes leads that way, and without a plan that decided the row it
 * is refused. Deletes come as one DELETE … WHERE id = ANY, which TypeORM reports without rows:
 * the plan must have decided deletions.
 *
 * TypeORM builds subscribers with a zero-argument constructor, so the hasher is closed over by a
 * class made per DataSource.
 */
export function createLeadSubscriber(hasher: EmailHasher): new () => EntitySubscriberInterface<LeadEntity> {
  @EventSubscriber()
  class LeadSubscriber implements EntitySubscriberInterface<LeadEntity> {
    listenTo(): typeof LeadEntity {
      return LeadEntity;
    }

    beforeInsert(event: InsertEvent<LeadEntity>): void {
      check(event.queryRunner, event.entity);
    }

    beforeUpdate(event: UpdateEvent<LeadEntity>): void {
      check(event.queryRunner, event.entity);
    }

    beforeRemove(event: RemoveEvent<LeadEntity>): void {
      const context = leadWriteContextOf(event.queryRunner);
      if (!context || context.outcome.deletes.length === 0) throw new InvalidWriteError("a lead delete without a plan that decided it");
      const id = event.entity?.id ?? event.databaseEntity?.id;
      if (id !== undefined && !context.outcome.deletes.includes(id)) throw new InvalidWriteError(`lead ${id} is not a delete its plan decided`);
    }
  }

  function check(queryRunner: InsertEvent<LeadEntity>["queryRunner"], values: unknown): void {
    const context = leadWriteContextOf(queryRunner);
    const written = (values ?? {}) as Lead;
    const problem = checkLeadRow(context?.outcome, values && context ? context.plannedRowOf(values) : undefined, written, hasher);
    if (problem) throw new InvalidWriteError(problem);
  }
  return LeadSubscriber;
}
