/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c - process entry: ignore SIGPIPE (writes report EPIPE instead) and
 * hand argv to the command table.
 */
#include <signal.h>

#include "cmd.h"

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	return fl_cmd_main(argc, argv);
}
