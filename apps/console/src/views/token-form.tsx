import { useState } from 'preact/hooks';

export const TokenForm = ({ refusal, onToken }: { refusal: string | null; onToken: (token: string) => void }) => {
  const [value, setValue] = useState('');
  return (
    <form
      class="panel token-form"
      data-testid="token-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (value.trim() !== '') onToken(value.trim());
      }}
    >
      <h2>Operator token</h2>
      <p class="muted">The console reads the service's operations API with an operator token. It is kept in this tab only.</p>
      {refusal !== null && (
        <p class="error" role="alert" data-testid="auth-error">
          {refusal}
        </p>
      )}
      <label for="token-input">Token</label>
      <div class="row">
        <input
          id="token-input"
          type="password"
          autoComplete="off"
          required
          data-testid="token-input"
          value={value}
          onInput={(event) => setValue(event.currentTarget.value)}
        />
        <button type="submit" data-testid="token-submit">
          Open console
        </button>
      </div>
    </form>
  );
};
