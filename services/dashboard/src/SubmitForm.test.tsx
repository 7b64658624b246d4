import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "./api";
import { SubmitForm, Submission } from "./SubmitForm";

function setup() {
  const submit = vi.fn<(s: Submission) => Promise<unknown>>().mockResolvedValue({});
  render(<SubmitForm submit={submit} />);
  return { submit, user: userEvent.setup() };
}

describe("SubmitForm", () => {
  it("offers each job type in the Job type select", () => {
    setup();
    const options = screen.getByLabelText("Job type").querySelectorAll("option");
    expect([...options].map((option) => option.value)).toEqual(["timed", "email", "image", "export"]);
  });

  it("submits a timed job with its duration", async () => {
    const { submit, user } = setup();
    const duration = screen.getByLabelText("Duration (seconds)");
    await user.clear(duration);
    await user.type(duration, "7");
    await user.click(screen.getByRole("button", { name: "Submit job" }));
    expect(submit).toHaveBeenCalledWith(
      expect.objectContaining({ type: "timed", payload: { duration_seconds: 7, fail_attempts: 0 } }),
    );
  });

  it("shows the email fields only for an email job and sends them", async () => {
    const { submit, user } = setup();
    expect(screen.queryByLabelText("Subject")).toBeNull();
    await user.selectOptions(screen.getByLabelText("Job type"), "email");
    expect(screen.queryByLabelText("Duration (seconds)")).toBeNull();
    await user.type(screen.getByLabelText("To"), "ann@example.com");
    await user.type(screen.getByLabelText("Subject"), "Hi");
    await user.type(screen.getByLabelText("Body"), "Hello");
    await user.click(screen.getByRole("button", { name: "Submit job" }));
    expect(submit.mock.calls[0][0].payload).toEqual({ to: "ann@example.com", subject: "Hi", body: "Hello" });
  });

  it("sends an export's format and filters", async () => {
    const { submit, user } = setup();
    await user.selectOptions(screen.getByLabelText("Job type"), "export");
    await user.selectOptions(screen.getByLabelText("Export format"), "jsonl");
    await user.selectOptions(screen.getByLabelText("Only status"), "failed");
    await user.click(screen.getByRole("button", { name: "Submit job" }));
    expect(submit.mock.calls[0][0].payload).toEqual({ dataset: "jobs", format: "jsonl", filters: { status: ["failed"] } });
  });

  it("previews a chosen image and sends it as bare base64", async () => {
    const { submit, user } = setup();
    await user.selectOptions(screen.getByLabelText("Job type"), "image");
    const file = new File([new Uint8Array([137, 80, 78, 71])], "dot.png", { type: "image/png" });
    await user.upload(screen.getByLabelText("Image file"), file);
    expect(await screen.findByAltText("Preview of the chosen image")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Submit job" }));
    const payload = submit.mock.calls[0][0].payload;
    expect(payload.image).toBe("iVBORw==");
    expect(payload.operations).toEqual([{ op: "grayscale" }]);
  });

  it("refuses an image job with no file, without calling the API", async () => {
    const { submit, user } = setup();
    await user.selectOptions(screen.getByLabelText("Job type"), "image");
    await user.click(screen.getByRole("button", { name: "Submit job" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Choose an image file first.");
    expect(submit).not.toHaveBeenCalled();
  });

  it("shows the API's problem with each field's complaint", async () => {
    const { submit, user } = setup();
    submit.mockRejectedValue(
      new ApiError(422, {
        status: 422,
        detail: "The request is not valid.",
        errors: { json: { payload: { duration_seconds: ["Must be between 0 and 3600."] } } },
      }),
    );
    await user.click(screen.getByRole("button", { name: "Submit job" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "The request is not valid. json.payload.duration_seconds: Must be between 0 and 3600.",
    );
  });
});
