#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# pgsync_schema.py DATABASE INDEX > schema.json - PGSync's closest
# equivalent of share/examples/shop/users.schema.yml: users with profile
# (one_to_one), addresses and orders (one_to_many), orders' items
# (one_to_many) with their product (one_to_one). Not expressible in
# PGSync's grammar without plugins: soft delete (deleted users stay
# indexed), order_by/limit on orders, the three aggregates (orderCount,
# lifetimeSpend, lastOrderAt), transforms (trim/lowercase), the default,
# the constant. Index: 1 shard, 0 replicas, refresh 1s, like the others.
import json
import sys

db, index = sys.argv[1], sys.argv[2]
schema = [{
    "database": db,
    "index": index,
    "setting": {"number_of_shards": 1, "number_of_replicas": 0,
                "refresh_interval": "1s"},
    "nodes": {
        "table": "users",
        "columns": ["id", "email", "full_name", "tier", "created_at"],
        "children": [
            {"table": "profiles",
             "columns": ["bio", "birthday", "avatar_url", "lat", "lon"],
             "relationship": {"variant": "object", "type": "one_to_one"}},
            {"table": "addresses",
             "columns": ["kind", "line1", "city", "country"],
             "relationship": {"variant": "object", "type": "one_to_many"}},
            {"table": "orders",
             "columns": ["id", "status", "placed_at", "total"],
             "relationship": {"variant": "object", "type": "one_to_many"},
             "children": [
                 {"table": "order_items",
                  "columns": ["quantity", "unit_price"],
                  "relationship": {"variant": "object", "type": "one_to_many"},
                  "children": [
                      {"table": "products",
                       "columns": ["sku", "name"],
                       "relationship": {"variant": "object",
                                        "type": "one_to_one"}}]}]}]}}]
json.dump(schema, sys.stdout, indent=1)
