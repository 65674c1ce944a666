-- SPDX-License-Identifier: GPL-3.0-or-later
-- devschema_seed.sql - bench data for the reference's dev schema
-- (its dev/postgres/init/01_schema.sql, found by tests/lib/reference_data.sh
-- and loaded by tests/bench/devschema.sh; neither that file nor its seed is
-- in this repository). Owns the volume and fan-out of the generated rows,
-- not the tables. Run on the empty tables: psql -v users=N -f ...
--
-- Deterministic (derived from the series index, no random()), so every run
-- and every tool sees the same rows. Per N users (N = 20,000: ~398k rows,
-- ~82.8k documents over the three indexes):
--   users          N, 1 in 17 soft-deleted (`deleted`)
--   profiles       4 in 5 users
--   addresses      1-3 per user (avg 2)
--   categories     12;  tags 20
--   products       max(50, N / 5), titles in 1-3 languages
--   product_tags   1-3 per product (avg 2)
--   reviews        5 per user, spread over the products (~25 each)
--   orders         1-5 per user (avg 3), 1 in 8 cancelled
--   order_items    1-4 per order (avg 2.5), each a product at its price
\set ON_ERROR_STOP 1
SELECT greatest(50, :users / 5) AS nproducts \gset

INSERT INTO users (id, email, full_name, tier, country, created_at, deleted)
SELECT u,
       'customer' || u || '@shop.test',
       (ARRAY['Alice','Bruno','Chiara','Dmitri','Elena','Farid','Giulia','Hiro',
              'Ines','Jonas','Katja','Luca','Mara','Nils','Olga','Pablo',
              'Rosa','Sven','Tomas','Ulla','Vera','Wim','Xenia','Yusuf',
              'Zoe','Anders','Berit','Carlo','Dana','Emil'])[1 + (u * 7) % 30]
         || ' ' ||
       (ARRAY['Andersen','Bianchi','Costa','Dubois','Eriksson','Fischer','Garcia',
              'Horvat','Ivanova','Jansen','Kowalski','Larsen','Moreau','Novak',
              'Olsen','Petrov','Quist','Rossi','Schmidt','Torres','Urban',
              'Varga','Weber','Yilmaz','Zanetti','Berg','Lund','Moretti',
              'Nagy','Silva'])[1 + (u * 13) % 30],
       (ARRAY['free','free','free','pro','pro','enterprise'])[1 + (u * 11) % 6],
       (ARRAY['IT','DE','FR','ES','NL','SE','PL','US','GB','JP','BR','CA'])[1 + (u * 5) % 12],
       timestamptz '2021-01-01 00:00+00' + ((u * 37) % 1400) * interval '1 day'
         + ((u * 7919) % 86400) * interval '1 second',
       u % 17 = 0
FROM generate_series(1, :users) AS u;

INSERT INTO profiles (user_id, bio, avatar_url, birth_date)
SELECT u,
       (ARRAY['Collects vintage synthesizers and rebuilds them on weekends.',
              'Runs a small bakery; orders flour and paper bags in bulk.',
              'Marathon runner who reviews every pair of shoes she buys.',
              'Freelance photographer, always after a lighter tripod.',
              'Teaches chemistry and buys lab glassware for the classroom.',
              'Amateur astronomer with a growing wall of star charts.',
              'Keeps bees and writes long reviews about honey extractors.',
              'Board game designer testing prototypes with friends.'])[1 + (u * 3) % 8]
         || repeat(' Member since the beta.', (u % 3)),
       CASE WHEN u % 2 = 0 THEN 'https://img.shop.test/avatars/' || u || '.jpg' END,
       date '1950-01-01' + (u * 131) % 20000
FROM generate_series(1, :users) AS u
WHERE u % 5 <> 0;

INSERT INTO addresses (id, user_id, kind, line1, city, postal_code, country)
SELECT (u - 1) * 3 + k, u,
       CASE WHEN k = 1 THEN 'billing' ELSE 'shipping' END,
       (1 + (u * k * 17) % 240) || ' ' ||
       (ARRAY['Harbour Road','Linden Street','Mill Lane','Station Square','Via Roma',
              'Kirchgasse','Rue des Fleurs','Calle Mayor','Parkweg','Storgatan'])[1 + (u + k) % 10],
       (ARRAY['Milano','Berlin','Lyon','Sevilla','Utrecht','Malmo','Krakow','Portland',
              'Leeds','Osaka','Recife','Halifax','Torino','Hamburg','Gent','Bergen'])[1 + (u * k) % 16],
       lpad(((u * 7 + k * 1013) % 99999)::text, 5, '0'),
       (ARRAY['IT','DE','FR','ES','NL','SE','PL','US','GB','JP','BR','CA'])[1 + (u * 5) % 12]
FROM generate_series(1, :users) AS u
CROSS JOIN LATERAL generate_series(1, 1 + (u * 31) % 3) AS k;

INSERT INTO categories (id, name, slug)
SELECT c, n, lower(replace(n, ' ', '-'))
FROM unnest(ARRAY['Books','Music','Kitchen','Garden','Outdoor','Office','Toys',
                  'Audio','Cameras','Bikes','Pets','Crafts']) WITH ORDINALITY AS t(n, c);

INSERT INTO tags (id, label)
SELECT t, l
FROM unnest(ARRAY['bestseller','sale','new','eco','refurbished','limited','gift',
                  'handmade','imported','bundle','clearance','premium','vegan',
                  'local','classic','compact','wireless','heavy-duty','kids',
                  'pro']) WITH ORDINALITY AS x(l, t);

INSERT INTO products (id, sku, name, description, title, price, currency, in_stock,
                      category_id, created_at)
SELECT p,
       'SKU-' || lpad(p::text, 6, '0'),
       (ARRAY['Compact','Sturdy','Quiet','Folding','Classic','Portable','Smart',
              'Vintage','Modular','Wireless'])[1 + (p * 3) % 10] || ' ' ||
       (ARRAY['Kettle','Lamp','Backpack','Speaker','Notebook','Grinder','Tent',
              'Camera Strap','Bike Light','Planter','Chair','Puzzle'])[1 + (p * 7) % 12]
         || ' ' || (100 + p % 900),
       (ARRAY['Built to last, with a two-year warranty and spare parts on request.',
              'Our most returned-to item: light, simple and easy to clean.',
              'Designed with a small workshop; every batch is inspected by hand.',
              'A quiet, efficient update of a design that has sold for decades.'])[1 + p % 4]
         || repeat(' Ships in recycled packaging.', 1 + p % 3),
       CASE p % 3
         WHEN 0 THEN jsonb_build_object('en', 'Item ' || p)
         WHEN 1 THEN jsonb_build_object('en', 'Item ' || p, 'it', 'Articolo ' || p)
         ELSE jsonb_build_object('en', 'Item ' || p, 'de', 'Artikel ' || p, 'fr', 'Article ' || p)
       END,
       round((4.99 + (p * 7919) % 49500 / 100.0)::numeric, 2),
       (ARRAY['EUR','EUR','USD','GBP'])[1 + p % 4],
       p % 9 <> 0,
       1 + (p * 5) % 12,
       timestamptz '2020-06-01 00:00+00' + ((p * 53) % 1500) * interval '1 day'
FROM generate_series(1, :nproducts) AS p;

INSERT INTO product_tags (product_id, tag_id)
SELECT p, 1 + (p + k * 7) % 20
FROM generate_series(1, :nproducts) AS p
CROSS JOIN LATERAL generate_series(0, (p * 13) % 3) AS k
ON CONFLICT DO NOTHING;

INSERT INTO reviews (id, product_id, user_id, rating, body, created_at)
SELECT r,
       1 + (r::bigint * 2654435761 % :nproducts)::int,
       CASE WHEN r % 5 = 0 THEN NULL ELSE 1 + (r::bigint * 40503 % :users)::int END,
       (ARRAY[5,5,4,4,4,3,2,1])[1 + (r * 3) % 8],
       (ARRAY['Does what it says. Would buy again.',
              'Arrived a day late, but the quality makes up for it.',
              'Smaller than the photos suggest; fine for a desk.',
              'Second one I bought, this time as a gift.',
              'Solid build, though the manual could be clearer.',
              'Broke after three months; support replaced it quickly.'])[1 + r % 6]
         || CASE WHEN r % 4 = 0 THEN ' Long-term update: still going strong after a year of daily use.' ELSE '' END,
       timestamptz '2022-01-01 00:00+00' + ((r * 17) % 1000) * interval '1 day'
FROM generate_series(1, 5 * :users) AS r;

INSERT INTO orders (id, user_id, status, total, placed_at, shipped_at)
SELECT (u - 1) * 5 + k, u, s.status, 0, d.placed_at,
       CASE WHEN s.status IN ('shipped', 'delivered') THEN d.placed_at + ((u + k) % 5 + 1) * interval '1 day' END
FROM generate_series(1, :users) AS u
CROSS JOIN LATERAL generate_series(1, 1 + (u * 17) % 5) AS k
CROSS JOIN LATERAL (
    SELECT (ARRAY['delivered','delivered','delivered','shipped','paid','pending',
                  'delivered','cancelled'])[1 + (u * 3 + k * 5) % 8] AS status) AS s
CROSS JOIN LATERAL (
    SELECT timestamptz '2022-03-01 00:00+00' + ((u * 29 + k * 97) % 900) * interval '1 day'
           + ((u * k * 7919) % 86400) * interval '1 second' AS placed_at) AS d;

INSERT INTO order_items (id, order_id, product_id, quantity, unit_price)
SELECT o.id * 4 + i, o.id, pr.id, 1 + (o.id + i) % 3, pr.price
FROM orders AS o
CROSS JOIN LATERAL generate_series(0, (o.id * 7) % 4) AS i
JOIN products AS pr ON pr.id = 1 + ((o.id::bigint * 31 + i * 977) % :nproducts)::int;

UPDATE orders AS o SET total = s.t
FROM (SELECT order_id, sum(quantity * unit_price) AS t FROM order_items GROUP BY order_id) AS s
WHERE o.id = s.order_id;
