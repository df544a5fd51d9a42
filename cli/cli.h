/*
 * cli.h - entry point of every berth verb except `up`. The CLI is a thin
 * client of the control socket: it parses argv, sends requests and prints.
 * Must not contain orchestration logic.
 */
#ifndef BERTH_CLI_CLI_H
#define BERTH_CLI_CLI_H

/* Runs argv[1..] as a verb; returns the exit status (0, 1 or 2). */
int cli_main(int argc, char **argv);

#endif
