/*
 * testpoint.h: named points where a test can stop the process.
 *
 * With TRESOR_TESTPOINT=NAME in the environment, the process stops itself
 * (SIGSTOP) when it reaches the point NAME; with NAME:N, the Nth time it
 * reaches it. The test then does what it wants to test at that exact
 * moment (sends SIGINT or SIGKILL, swaps a file) and continues the process
 * with SIGCONT. Without the variable a point costs one comparison.
 */
#ifndef TRESOR_TESTPOINT_H
#define TRESOR_TESTPOINT_H

void	testpoint(const char *name);

#endif
