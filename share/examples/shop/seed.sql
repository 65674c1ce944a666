-- SPDX-License-Identifier: GPL-3.0-or-later
-- Deterministic seed data for the shop example. The same scale gives the
-- same rows on every machine (no random(): values come from a hash of the
-- row number). Usage:
--   psql -v scale=1 -f seed.sql       -- 1,000 users, 200 products
--   psql -v scale=100 -f seed.sql     -- 100,000 users, 20,000 products
-- Per scale unit: 1,000 users (~10% soft-deleted later), 800 profiles,
-- ~1,500 addresses, ~3,000 orders of 1-4 items, 200 products, ~600 reviews.
\set ON_ERROR_STOP on
\if :{?scale}
\else
\set scale 1
\endif

BEGIN;

-- A stable pseudo-random integer in [0, n) for (seed, i).
CREATE OR REPLACE FUNCTION shop_rand(seed integer, i bigint, n integer)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (abs(hashint8(i * 1000003 + seed)) % n)::integer
$$;

INSERT INTO categories (id, parent_id, slug, name) VALUES
    (1, NULL, 'home', 'Home & Kitchen'),
    (2, NULL, 'outdoor', 'Outdoor'),
    (3, NULL, 'tech', 'Electronics'),
    (4, 1, 'cookware', 'Cookware'),
    (5, 1, 'textiles', 'Home textiles'),
    (6, 2, 'camping', 'Camping'),
    (7, 2, 'cycling', 'Cycling'),
    (8, 3, 'audio', 'Audio'),
    (9, 3, 'cables', 'Cables & adapters'),
    (10, 3, 'lighting', 'Smart lighting');

INSERT INTO tags (id, name)
SELECT i, (ARRAY['eco', 'bestseller', 'new', 'sale', 'gift', 'premium',
                 'limited', 'handmade', 'refurbished', 'bundle',
                 'waterproof', 'wireless'])[i]
FROM generate_series(1, 12) AS i;

INSERT INTO products (id, sku, name, description, price, currency,
                      category_id, stock, attributes, is_listed, created_at)
SELECT i,
       format('SKU-%s-%s', (ARRAY['HK','OD','EL'])[1 + shop_rand(1, i, 3)],
              lpad(i::text, 6, '0')),
       format('%s %s %s',
              (ARRAY['Classic','Compact','Deluxe','Eco','Pro','Ultra',
                     'Smart','Travel'])[1 + shop_rand(2, i, 8)],
              (ARRAY['kettle','lamp','tent','pan','speaker','bottle',
                     'blanket','cable','backpack','helmet'])[1 + shop_rand(3, i, 10)],
              i),
       CASE WHEN shop_rand(4, i, 5) = 0 THEN NULL
            ELSE format('Product number %s, made to last.', i) END,
       (5 + shop_rand(5, i, 49500) / 100.0)::numeric(12, 2),
       'EUR',
       4 + shop_rand(6, i, 7),
       shop_rand(7, i, 250),
       jsonb_build_object('color', (ARRAY['red','green','blue','black','white'])[1 + shop_rand(8, i, 5)],
                          'weight_g', 100 + shop_rand(9, i, 4900)),
       shop_rand(10, i, 20) <> 0,
       timestamptz '2024-01-01 00:00:00+00' + make_interval(mins => shop_rand(11, i, 525600))
FROM generate_series(1, 200 * :scale) AS i;

INSERT INTO product_tags (product_id, tag_id)
SELECT DISTINCT p, 1 + shop_rand(12 + k, p, 12)
FROM generate_series(1, 200 * :scale) AS p, generate_series(0, 2) AS k
WHERE shop_rand(20 + k, p, 3) <> 0;

INSERT INTO users (id, email, full_name, tier, created_at, deleted_at)
SELECT i,
       -- some emails carry stray case and spaces: the schema trims and
       -- lowercases them
       CASE WHEN shop_rand(30, i, 10) = 0 THEN format('  User%s@Example.COM ', i)
            ELSE format('user%s@example.com', i) END,
       CASE WHEN shop_rand(31, i, 15) = 0 THEN NULL
            ELSE format('%s %s',
                        (ARRAY['Ada','Grace','Alan','Edsger','Barbara','Donald',
                               'Frances','Ken','Margaret','Niklaus'])[1 + shop_rand(32, i, 10)],
                        (ARRAY['Lovelace','Hopper','Turing','Dijkstra','Liskov',
                               'Knuth','Allen','Thompson','Hamilton','Wirth'])[1 + shop_rand(33, i, 10)])
       END,
       (ARRAY['free','free','free','plus','pro'])[1 + shop_rand(34, i, 5)],
       timestamptz '2023-01-01 00:00:00+00' + make_interval(mins => shop_rand(35, i, 1051200)),
       CASE WHEN shop_rand(36, i, 50) = 0
            THEN timestamptz '2026-06-01 00:00:00+00' ELSE NULL END
FROM generate_series(1, 1000 * :scale) AS i;

INSERT INTO profiles (user_id, bio, birthday, avatar_url, lat, lon)
SELECT i,
       CASE WHEN shop_rand(40, i, 3) = 0 THEN NULL
            ELSE format('Hello, I am user %s.', i) END,
       date '1950-01-01' + shop_rand(41, i, 20000),
       format('https://img.example.com/u/%s.png', i),
       CASE WHEN shop_rand(42, i, 4) = 0 THEN NULL
            ELSE 35 + shop_rand(43, i, 2000) / 100.0 END,
       CASE WHEN shop_rand(42, i, 4) = 0 THEN NULL
            ELSE -5 + shop_rand(44, i, 3000) / 100.0 END
FROM generate_series(1, 1000 * :scale) AS i
WHERE shop_rand(45, i, 5) <> 0;

INSERT INTO addresses (id, user_id, kind, line1, city, country, postcode)
SELECT row_number() OVER (ORDER BY u, k), u,
       (ARRAY['home','work','billing'])[1 + k],
       format('%s Via Roma', 1 + shop_rand(50 + k, u, 200)),
       (ARRAY['Milano','Torino','Bologna','Lyon','Berlin','Porto'])[1 + shop_rand(53 + k, u, 6)],
       (ARRAY['IT','IT','IT','FR','DE','PT'])[1 + shop_rand(53 + k, u, 6)],
       lpad(shop_rand(56 + k, u, 99999)::text, 5, '0')
FROM generate_series(1, 1000 * :scale) AS u, generate_series(0, 2) AS k
WHERE k = 0 OR shop_rand(59 + k, u, 4) = 0;

INSERT INTO orders (id, user_id, status, placed_at, total, coupon_code)
SELECT i,
       1 + shop_rand(60, i, 1000 * :scale),
       (ARRAY['pending','paid','paid','shipped','shipped','delivered',
              'delivered','delivered','cancelled','refunded'])[1 + shop_rand(61, i, 10)],
       timestamptz '2025-01-01 00:00:00+00' + make_interval(mins => shop_rand(62, i, 525600)),
       0,
       CASE WHEN shop_rand(63, i, 8) = 0 THEN format(' Save%s ', shop_rand(64, i, 30)) END
FROM generate_series(1, 3000 * :scale) AS i;

INSERT INTO order_items (id, order_id, product_id, quantity, unit_price)
SELECT row_number() OVER (ORDER BY o, k), o, p.id,
       1 + shop_rand(70 + k, o, 4), p.price
FROM generate_series(1, 3000 * :scale) AS o
CROSS JOIN generate_series(0, 3) AS k
JOIN products p ON p.id = 1 + shop_rand(74 + k, o, 200 * :scale)
WHERE k < 1 + shop_rand(78, o, 4);

UPDATE orders o SET total = s.total
FROM (SELECT order_id, sum(quantity * unit_price) AS total
      FROM order_items GROUP BY order_id) s
WHERE s.order_id = o.id;

INSERT INTO reviews (id, product_id, user_id, rating, body, moderation, created_at)
SELECT i,
       1 + shop_rand(80, i, 200 * :scale),
       1 + shop_rand(81, i, 1000 * :scale),
       1 + shop_rand(82, i, 5),
       CASE WHEN shop_rand(83, i, 3) = 0 THEN NULL
            ELSE format('Review %s: %s', i,
                        (ARRAY['great','fine','meh','broke fast','love it'])[1 + shop_rand(84, i, 5)]) END,
       (ARRAY['approved','approved','approved','pending','rejected'])[1 + shop_rand(85, i, 5)],
       timestamptz '2025-03-01 00:00:00+00' + make_interval(mins => shop_rand(86, i, 400000))
FROM generate_series(1, 600 * :scale) AS i;

COMMIT;

ANALYZE;
