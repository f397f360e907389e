// SPDX-License-Identifier: GPL-2.0
/*
 * segv - the first promise of Kernel Mode Linux: a bug in a program that
 * runs in ring 0 kills the program, never the kernel.
 *
 *   ./segv; echo $?      prints 139 (128 + SIGSEGV), stamped or not
 */
int main(void)
{
	*(volatile int *)0 = 1;
	return 0;
}
