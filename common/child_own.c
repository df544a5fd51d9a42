/*
 * child_own.c - the set of worker-owned children (child_own.h): a small
 * array under a mutex. Knows nothing about what the children run.
 */
#include "child_own.h"

#include <pthread.h>

#define CHILD_OWN_MAX 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t pids[CHILD_OWN_MAX];
static size_t n;

void child_own_lock(void)
{
	pthread_mutex_lock(&lock);
}

bool child_own_trylock(void)
{
	return pthread_mutex_trylock(&lock) == 0;
}

void child_own_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

void child_own_add(pid_t pid)
{
	/* full: the pid is not recorded and the worker may lose its status
	 * to the reaper (it then reports the run as failed) */
	if (n < CHILD_OWN_MAX)
		pids[n++] = pid;
}

bool child_own_has(pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

void child_own_remove(pid_t pid)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid) {
			pids[i] = pids[--n];
			break;
		}
	pthread_mutex_unlock(&lock);
}
