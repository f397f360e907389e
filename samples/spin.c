// SPDX-License-Identifier: GPL-2.0
/*
 * spin - the second promise: an infinite loop in ring 0 is preempted like
 * any other, the rest of the system keeps running, and Ctrl-C (SIGINT)
 * stops it.
 *
 *   ./spin &  ...  kill -INT %1
 */
int main(void)
{
	for (;;)
		;
}
