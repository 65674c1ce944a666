-- SPDX-License-Identifier: GPL-3.0-or-later
-- Load generator for tests/bench/compare.sh (the shop `users` index).
-- bench_churn(ops, seed) applies `ops` changes in one transaction; every
-- op changes exactly one row of a table the `users` document reads, so
-- changes/s = transactions/s x ops. The mix (uniform over ten kinds):
-- root update, soft-delete toggle, order insert (child insert), item
-- quantity update (two hops), item re-parent, item delete, order
-- re-parent, order status (filtered aggregate), profile update (has_one),
-- address update. The last 200 users are reserved for latency probes
-- (bench_probe_ids) and never touched here.
CREATE SEQUENCE IF NOT EXISTS bench_order_seq START 1000000000;

CREATE OR REPLACE FUNCTION bench_churn(ops integer, seed integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    maxu bigint := (SELECT max(id) FROM users) - 200;
    maxo bigint := (SELECT max(id) FROM orders WHERE id < 1000000000);
    maxi bigint := (SELECT max(id) FROM order_items);
    maxa bigint := (SELECT max(id) FROM addresses);
    u bigint; o bigint; it bigint;
BEGIN
    PERFORM setseed((seed % 2000000000)::float8 / 2000000000.0);
    FOR i IN 1..ops LOOP
        u := 1 + floor(random() * maxu);
        o := 1 + floor(random() * maxo);
        it := 1 + floor(random() * maxi);
        CASE floor(random() * 10)::int
        WHEN 0 THEN
            UPDATE users SET tier = (ARRAY['free','plus','pro'])[1 + floor(random() * 3)::int] WHERE id = u;
        WHEN 1 THEN
            UPDATE users SET deleted_at = CASE WHEN deleted_at IS NULL THEN now() END WHERE id = u;
        WHEN 2 THEN
            INSERT INTO orders (id, user_id, status, placed_at, total)
            VALUES (nextval('bench_order_seq'), u, 'pending', now(), 0);
        WHEN 3 THEN
            UPDATE order_items SET quantity = quantity + 1 WHERE id = it;
        WHEN 4 THEN
            UPDATE order_items SET order_id = o WHERE id = it;
        WHEN 5 THEN
            DELETE FROM order_items WHERE id = it;
        WHEN 6 THEN
            UPDATE orders SET user_id = u WHERE id = o;
        WHEN 7 THEN
            UPDATE orders SET status = (ARRAY['paid','shipped','delivered','cancelled'])[1 + floor(random() * 4)::int] WHERE id = o;
        WHEN 8 THEN
            UPDATE profiles SET bio = coalesce(bio, '') || '!' WHERE user_id = u;
        ELSE
            UPDATE addresses SET line1 = line1 || '.' WHERE id = 1 + floor(random() * maxa);
        END CASE;
    END LOOP;
END;
$$;

-- Probe rows: the last 200 users, alive, with a profile-free name.
UPDATE users SET deleted_at = NULL WHERE id > (SELECT max(id) - 200 FROM users);
CREATE OR REPLACE VIEW bench_probe_ids AS
    SELECT id FROM users WHERE id > (SELECT max(id) - 200 FROM users);

-- bench_catchup(seed): the catch-up backlog of compare.sh, ten root updates
-- (users.full_name, a new value each) in one transaction, on the users
-- bench_churn touches (the last 200 stay reserved for the probes).
CREATE OR REPLACE FUNCTION bench_catchup(seed integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    maxu bigint := (SELECT max(id) FROM users) - 200;
    u bigint;
BEGIN
    PERFORM setseed((seed % 2000000000)::float8 / 2000000000.0);
    FOR i IN 1..10 LOOP
        u := 1 + floor(random() * maxu);
        UPDATE users SET full_name = 'Catch ' || seed || ' ' || i WHERE id = u;
    END LOOP;
END $$;
