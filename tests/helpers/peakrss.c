/*
 * peakrss.c: run a command and report its peak resident set size.
 * usage: peakrss OUTFILE COMMAND [ARG...]; writes the peak RSS of the
 * command (and its children) in KiB to OUTFILE and exits with the
 * command's status. Used to show that memory does not grow with file size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage	ru;
	FILE		*f;
	pid_t		 pid;
	int		 status;

	if (argc < 3) {
		fprintf(stderr, "usage: peakrss OUTFILE COMMAND [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid == -1) {
		perror("peakrss: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("peakrss: exec");
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1) {
		perror("peakrss: waitpid");
		return 2;
	}
	getrusage(RUSAGE_CHILDREN, &ru);
	f = fopen(argv[1], "w");
	if (f == NULL) {
		perror("peakrss: fopen");
		return 2;
	}
	fprintf(f, "%ld\n", ru.ru_maxrss);
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
