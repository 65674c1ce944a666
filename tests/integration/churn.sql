-- SPDX-License-Identifier: GPL-3.0-or-later
-- A load generator for the shop example: shop_churn(ops, seed) applies
-- `ops` random changes of every relation kind in one transaction. Call it
-- in a loop from several sessions to get many commits of varied sizes.
CREATE OR REPLACE FUNCTION shop_churn(ops integer, seed integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    r integer;
    maxu bigint := (SELECT max(id) FROM users);
    maxo bigint := (SELECT max(id) FROM orders);
    maxp bigint := (SELECT max(id) FROM products);
    maxi bigint := (SELECT max(id) FROM order_items);
    maxr bigint := (SELECT coalesce(max(id), 0) FROM reviews);
    u bigint; o bigint; p bigint; it bigint;
BEGIN
    PERFORM setseed(((seed % 1000) / 1000.0)::float8);
    FOR i IN 1..ops LOOP
        r := floor(random() * 16);
        u := 1 + floor(random() * maxu);
        o := 1 + floor(random() * maxo);
        p := 1 + floor(random() * maxp);
        it := 1 + floor(random() * maxi);
        CASE r
        WHEN 0 THEN  -- root update
            UPDATE users SET tier = (ARRAY['free','plus','pro'])[1 + floor(random() * 3)::int] WHERE id = u;
        WHEN 1 THEN  -- soft delete toggle
            UPDATE users SET deleted_at = CASE WHEN deleted_at IS NULL THEN now() END WHERE id = u;
        WHEN 2 THEN  -- new order with items (has_many insert, nested)
            maxo := maxo + 1;
            INSERT INTO orders (id, user_id, status, placed_at, total) VALUES (maxo, u, 'pending', now(), 0);
            maxi := maxi + 1;
            INSERT INTO order_items VALUES (maxi, maxo, p, 1 + floor(random() * 3)::int, 9.99);
        WHEN 3 THEN  -- nested child update (two hops)
            UPDATE order_items SET quantity = quantity + 1 WHERE id = it;
        WHEN 4 THEN  -- child moves to another parent (re-parenting)
            UPDATE order_items SET order_id = o WHERE id = it;
        WHEN 5 THEN  -- child delete
            DELETE FROM order_items WHERE id = it;
        WHEN 6 THEN  -- order moves to another user
            UPDATE orders SET user_id = u WHERE id = o;
        WHEN 7 THEN  -- order status (filtered aggregate)
            UPDATE orders SET status = (ARRAY['paid','shipped','delivered','cancelled'])[1 + floor(random() * 4)::int] WHERE id = o;
        WHEN 8 THEN  -- belongs_to target change (fan-out to referrers)
            UPDATE products SET name = name || '.', price = price + 1 WHERE id = p;
        WHEN 9 THEN  -- root filter flip
            UPDATE products SET is_listed = NOT is_listed WHERE id = p;
        WHEN 10 THEN -- many_to_many junction insert / delete
            INSERT INTO product_tags VALUES (p, 1 + floor(random() * 12)::int) ON CONFLICT DO NOTHING;
        WHEN 11 THEN
            DELETE FROM product_tags WHERE product_id = p AND tag_id = (SELECT min(tag_id) FROM product_tags WHERE product_id = p);
        WHEN 12 THEN -- far row of many_to_many (rarely: touches many)
            IF random() < 0.1 THEN
                UPDATE tags SET name = name WHERE id = 1 + floor(random() * 12)::int;
            END IF;
        WHEN 13 THEN -- aggregate table insert / delete
            maxr := maxr + 1;
            INSERT INTO reviews VALUES (maxr, p, u, 1 + floor(random() * 5)::int, 'ok', 'approved', now());
        WHEN 14 THEN
            DELETE FROM reviews WHERE id = 1 + floor(random() * maxr);
        ELSE         -- has_one change
            UPDATE profiles SET bio = coalesce(bio, '') || '!' WHERE user_id = u;
        END CASE;
    END LOOP;
END;
$$;
