/* PLACEHOLDER: being written; replace this whole file. */
int main(void) { return 1; }
