-- SPDX-License-Identifier: GPL-3.0-or-later
-- The shop example: users with a profile, addresses and orders of items;
-- products with a category, tags (many-to-many) and reviews.
--
-- Replica identities: flusso rebuilds a parent when a child row is deleted
-- or moves to another parent, which needs the child's OLD foreign key in
-- the WAL. So every child table's identity includes its foreign key: either
-- REPLICA IDENTITY FULL or USING INDEX on a unique (id, fk) index. Both
-- forms appear below on purpose.
BEGIN;

CREATE TABLE categories (
    id          integer PRIMARY KEY,
    parent_id   integer REFERENCES categories (id),
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL
);

CREATE TABLE products (
    id          bigint PRIMARY KEY,
    sku         text NOT NULL UNIQUE,
    name        text NOT NULL,
    description text,
    price       numeric(12, 2) NOT NULL,
    currency    character(3) NOT NULL DEFAULT 'EUR',
    category_id integer REFERENCES categories (id),
    stock       integer NOT NULL DEFAULT 0,
    attributes  jsonb,
    is_listed   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON products (category_id);

CREATE TABLE tags (
    id          integer PRIMARY KEY,
    name        text NOT NULL UNIQUE
);

-- A junction with a composite key: (product_id, tag_id) is its identity.
CREATE TABLE product_tags (
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    tag_id      integer NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, tag_id)
);
CREATE INDEX ON product_tags (tag_id);

CREATE TABLE users (
    id          bigint PRIMARY KEY,
    email       text NOT NULL,
    full_name   text,
    tier        text NOT NULL DEFAULT 'free',
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

-- One row per user at most: the key is the foreign key.
CREATE TABLE profiles (
    user_id     bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bio         text,
    birthday    date,
    avatar_url  text,
    lat         double precision,
    lon         double precision
);

CREATE TABLE addresses (
    id          bigint PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    line1       text NOT NULL,
    city        text NOT NULL,
    country     character(2) NOT NULL,
    postcode    text
);
CREATE INDEX ON addresses (user_id);
ALTER TABLE addresses REPLICA IDENTITY FULL;

CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status      text NOT NULL,
    placed_at   timestamptz NOT NULL,
    total       numeric(12, 2) NOT NULL DEFAULT 0,
    coupon_code text
);
CREATE UNIQUE INDEX orders_id_user_id ON orders (id, user_id);
CREATE INDEX ON orders (user_id);
ALTER TABLE orders REPLICA IDENTITY USING INDEX orders_id_user_id;

CREATE TABLE order_items (
    id          bigint PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id  bigint NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL,
    unit_price  numeric(12, 2) NOT NULL
);
CREATE UNIQUE INDEX order_items_id_order_id ON order_items (id, order_id);
CREATE INDEX ON order_items (order_id);
CREATE INDEX ON order_items (product_id);
ALTER TABLE order_items REPLICA IDENTITY USING INDEX order_items_id_order_id;

CREATE TABLE reviews (
    id          bigint PRIMARY KEY,
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    user_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    rating      smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body        text,
    moderation  text NOT NULL DEFAULT 'pending',
    created_at  timestamptz NOT NULL
);
CREATE INDEX ON reviews (product_id);
ALTER TABLE reviews REPLICA IDENTITY FULL;

COMMIT;
