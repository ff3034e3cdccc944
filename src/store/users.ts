import type { Kysely, Selectable } from 'kysely';
import type { Card, CardBrand, CardType, User, UserStatus, UserWithCards } from '../domain/parties.js';
import type { CardsTable, Database, UsersTable } from './schema.js';

const toUser = (r: Selectable<UsersTable>): User => ({
  phoneNumber: r.phone_number,
  name: r.name,
  birthDate: r.birth_date,
  status: r.status as UserStatus,
});

const toCard = (r: Selectable<CardsTable>): Card => ({
  cardId: r.card_id,
  phoneNumber: r.phone_number,
  brand: r.brand as CardBrand,
  type: r.type as CardType,
  bin: r.bin,
  last4: r.last4,
  expiryMonth: r.expiry_month,
  expiryYear: r.expiry_year,
  tokenEligible: r.token_eligible === 1,
  isDefault: r.is_default === 1,
  nickname: r.nickname,
});

export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findByPhone(phoneNumber: string): Promise<UserWithCards | null> {
    const row = await this.db.selectFrom('users').selectAll().where('phone_number', '=', phoneNumber).executeTakeFirst();
    if (!row) return null;
    const cards = await this.db.selectFrom('cards').selectAll().where('phone_number', '=', phoneNumber).orderBy('position').execute();
    return { ...toUser(row), cards: cards.map(toCard) };
  }

  async list(): Promise<UserWithCards[]> {
    const users = await this.db.selectFrom('users').selectAll().orderBy('phone_number').execute();
    const cards = await this.db.selectFrom('cards').selectAll().orderBy('position').execute();
    return users.map((u) => ({ ...toUser(u), cards: cards.filter((c) => c.phone_number === u.phone_number).map(toCard) }));
  }

  /** Inserts or replaces a user with exactly these cards. Returns true when something changed. */
  async upsert(user: UserWithCards, nowIso: string): Promise<boolean> {
    const existing = await this.findByPhone(user.phoneNumber);
    if (existing && JSON.stringify(existing) === JSON.stringify(user)) return false;
    await this.db.transaction().execute(async (trx) => {
      const row = { phone_number: user.phoneNumber, name: user.name, birth_date: user.birthDate, status: user.status };
      if (existing) {
        await trx.updateTable('users').set(row).where('phone_number', '=', user.phoneNumber).execute();
        await trx.deleteFrom('cards').where('phone_number', '=', user.phoneNumber).execute();
      } else {
        await trx
          .insertInto('users')
          .values({ ...row, created_at: nowIso })
          .execute();
      }
      let position = 0;
      for (const card of user.cards) {
        await trx
          .insertInto('cards')
          .values({
            card_id: card.cardId,
            phone_number: user.phoneNumber,
            brand: card.brand,
            type: card.type,
            bin: card.bin,
            last4: card.last4,
            expiry_month: card.expiryMonth,
            expiry_year: card.expiryYear,
            token_eligible: card.tokenEligible ? 1 : 0,
            is_default: card.isDefault ? 1 : 0,
            position: position++,
            nickname: card.nickname,
          })
          .execute();
      }
    });
    return true;
  }
}
