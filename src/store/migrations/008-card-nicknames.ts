import type { Kysely, Migration } from 'kysely';

/** A card's optional nickname from the seed (the real app shows e.g. "Visa Spendings"); null: none. */
export const m008_card_nicknames: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('cards').addColumn('nickname', 'text').execute();
  },
};
