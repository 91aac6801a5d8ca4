/**
 * Custom lead fields declared through the admin API. The catalogue in memory is refreshed when
 * a field is declared here, and when a request names a field this process does not know yet
 * (it may have been declared through another process on the same database).
 */
import { InvalidValueError } from "./errors";
import { FieldCatalogue, isReservedFieldName, type FieldDefinition, type FieldType } from "./lead-fields";
import type { TransactionRunner } from "./ports";

const fieldTypes: FieldType[] = ["string", "text", "email", "integer", "float", "currency", "boolean", "date", "datetime", "url", "phone"];

export class FieldRegistry {
  private catalogue = new FieldCatalogue();
  private customCount = 0;

  constructor(private readonly deps: { readonly tx: TransactionRunner }) {}

  current(): FieldCatalogue {
    return this.catalogue;
  }

  /** Reloads the declared fields; true when the catalogue changed. */
  async refresh(): Promise<boolean> {
    // A reserved name declared before they were refused is left out: unknown (20105), never stored.
    const custom = (await this.deps.tx.run((repos) => repos.fields.all())).filter((f) => !isReservedFieldName(f.name));
    if (custom.length === this.customCount) return false;
    this.catalogue = new FieldCatalogue(custom);
    this.customCount = custom.length;
    return true;
  }

  async declare(input: { name: string; attrType: string; displayName?: string }): Promise<FieldDefinition> {
    const name = input.name.trim();
    if (!/^[A-Za-z][A-Za-z0-9_]{0,99}$/.test(name)) throw new InvalidValueError("a field name is a letter followed by up to 99 letters, digits or underscores");
    if (isReservedFieldName(name)) throw new InvalidValueError(`'${name}' is a reserved name (JavaScript object machinery); choose another field name`);
    if (!fieldTypes.includes(input.attrType as FieldType)) throw new InvalidValueError(`attrType must be one of ${fieldTypes.join(", ")}`);
    await this.refresh();
    if (this.catalogue.find(name)) throw new InvalidValueError(`a field named '${name}' exists already`);
    const def: FieldDefinition = { name, type: input.attrType as FieldType, displayName: input.displayName?.trim() || name, custom: true };
    const inserted = await this.deps.tx.run((repos) => repos.fields.insert(def));
    if (!inserted) throw new InvalidValueError(`a field named '${name}' exists already`);
    await this.refresh();
    return def;
  }
}
