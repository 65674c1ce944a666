# SPDX-License-Identifier: GPL-3.0-or-later
# reference_data.sh - where the tests find the reference implementation's
# data files (alias2k/flusso: its dev schemas, dev SQL, TOML files). None of
# them is in this repository; this file only looks them up. It owns the
# lookup order and the test-time edits of the dev schemas; it does not own
# what the tests do with the files.
#
# Lookup order (per file, the first place holding it wins):
#   1. $FLUSSO_REFERENCE_DATA          a directory holding dev/...
#   2. SRC/../shared/reference/alias2k-flusso   (the steering repo's shared/)
#   3. $FLUSSO_REFERENCE_REPO          a git dir, read with `git show HEAD:PATH`
#                                      (default /work/.mirror/alias2k+flusso/repo)
#
# Sourced (sh or bash):
#   ref_data_find SRC   0 when found: REF_DATA_DIR or REF_DATA_GIT set and
#                       REF_DATA_WHERE says which; 1 otherwise, REF_DATA_WHY
#                       says what was tried (for a TAP "# SKIP" line)
#   ref_data_has PATH   0 when the found data holds PATH (e.g. dev/flusso.toml):
#                       the data directory when it has PATH, else the git dir
#   ref_data_cat PATH   prints PATH from the same place
#   ref_data_dev DEST   the dev deployment into DEST: users, orders,
#                       products.schema.yml, dev_schema.sql, dev_seed.sql and
#                       the edited variants users_required, orders_nodir,
#                       products_scale.schema.yml (one small edit each, the
#                       ones tests/golden/reference/hashes.txt pins)
# As a command:  sh reference_data.sh SRC DEST   ref_data_find + ref_data_dev,
#                exit 0 done, 1 no data (REF_DATA_WHY on stdout), 2 failed.

ref_data_find() {
	REF_DATA_DIR= REF_DATA_GIT= REF_DATA_WHERE= REF_DATA_WHY=
	_rd_shared=$1/../shared/reference/alias2k-flusso
	_rd_git=${FLUSSO_REFERENCE_REPO:-/work/.mirror/alias2k+flusso/repo}
	if [ -n "${FLUSSO_REFERENCE_DATA:-}" ] && [ -d "$FLUSSO_REFERENCE_DATA/dev" ]; then
		REF_DATA_DIR=$FLUSSO_REFERENCE_DATA
	elif [ -d "$_rd_shared/dev" ]; then
		REF_DATA_DIR=$(cd "$_rd_shared" && pwd)
	fi
	if git -C "$_rd_git" rev-parse --verify -q HEAD >/dev/null 2>&1; then
		REF_DATA_GIT=$_rd_git
	fi
	REF_DATA_WHERE=$REF_DATA_DIR${REF_DATA_DIR:+${REF_DATA_GIT:+, then }}${REF_DATA_GIT:+git dir $REF_DATA_GIT}
	[ -n "$REF_DATA_WHERE" ] && return 0
	REF_DATA_WHY="no reference data (FLUSSO_REFERENCE_DATA=${FLUSSO_REFERENCE_DATA:-unset}, $_rd_shared, git dir $_rd_git)"
	return 1
}

# A file of the first place holding it (a data directory holds the data
# files only; the other files a test reads come from the git dir).
ref_data_has() {
	{ [ -n "$REF_DATA_DIR" ] && [ -f "$REF_DATA_DIR/$1" ]; } ||
		{ [ -n "$REF_DATA_GIT" ] && git -C "$REF_DATA_GIT" cat-file -e "HEAD:$1" 2>/dev/null; }
}

ref_data_cat() {
	if [ -n "$REF_DATA_DIR" ] && [ -f "$REF_DATA_DIR/$1" ]; then
		cat "$REF_DATA_DIR/$1"
	elif [ -n "$REF_DATA_GIT" ]; then
		git -C "$REF_DATA_GIT" show "HEAD:$1"
	else
		echo "reference data: no $1" >&2
		return 1
	fi
}

ref_data_dev() {
	for _rd_f in users orders products; do
		ref_data_cat "dev/$_rd_f.schema.yml" >"$1/$_rd_f.schema.yml" || return 1
	done
	ref_data_cat dev/postgres/init/01_schema.sql >"$1/dev_schema.sql" || return 1
	ref_data_cat dev/postgres/init/02_seed.sql >"$1/dev_seed.sql" || return 1
	# the edits: `required: true` on users.id, no direction on the first
	# orders order_by, scaling_factor 1000 on products.price
	sed '/^  - integer: id$/{n;s/required: false/required: true/;}' \
		"$1/users.schema.yml" >"$1/users_required.schema.yml" &&
		sed 's/{ column: id, direction: asc }/{ column: id }/' \
			"$1/orders.schema.yml" >"$1/orders_nodir.schema.yml" &&
		sed 's/scaling_factor: 100 }/scaling_factor: 1000 }/' \
			"$1/products.schema.yml" >"$1/products_scale.schema.yml" || return 1
	! cmp -s "$1/users.schema.yml" "$1/users_required.schema.yml" &&
		! cmp -s "$1/orders.schema.yml" "$1/orders_nodir.schema.yml" &&
		! cmp -s "$1/products.schema.yml" "$1/products_scale.schema.yml"
}

case ${0##*/} in
reference_data.sh)
	[ $# = 2 ] || { echo "usage: sh reference_data.sh SRC DEST" >&2; exit 2; }
	ref_data_find "$1" || { echo "$REF_DATA_WHY"; exit 1; }
	ref_data_dev "$2" || { echo "could not copy the dev data from $REF_DATA_WHERE" >&2; exit 2; }
	echo "$REF_DATA_WHERE"
	;;
esac
