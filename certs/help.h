/* SPDX-License-Identifier: MIT */
/*
 * The manual pages of postern-ca, printed by --help: one for the program and
 * one per command, each with the sections of a man page (NAME, SYNOPSIS,
 * DESCRIPTION, COMMANDS or OPTIONS, EXIT STATUS, FILES, EXAMPLES, SEE ALSO)
 * at column 0, so that they read like one and can be checked by a script.
 */
#ifndef POSTERN_CA_HELP_H
#define POSTERN_CA_HELP_H

/* The page of a command, or of the program for NULL; NULL for an unknown
 * command. */
const char *ca_help(const char *command);

/* The two lines printed on standard error when no command is given. */
extern const char ca_usage_short[];

#endif
